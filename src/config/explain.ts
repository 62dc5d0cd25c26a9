/**
 * Every default and range of the localisation stage (Grad-CAM maps -> mask -> boxes) and of the
 * annotated renderer, in one schema shared by the `annotate` flags, the operator and the README.
 */
import { z } from 'zod';
import { deviceSchema, hwaccelSchema } from './hardware.js';
import { navOptionsShape, refineNavOptions } from './nav.js';
import { overlayOptionsShape } from './overlay.js';
import { cropSchema, timeSchema } from './timeline.js';

/** Defaults shared by the library schemas below and the string-typed CLI schema at the end. */
const THRESHOLD = 0.5;
const MAX_BOXES = 3;
const MAX_WIDTH_PIXELS = 1920;

export const thresholdMethods = ['relative', 'otsu'] as const;
export type ThresholdMethod = (typeof thresholdMethods)[number];

/**
 * 'auto': the graph's CAM output when there is one, else Score-CAM when the head's pooled feature
 * map is known, else occlusion; 'score-cam' and 'occlusion' force that method; 'none' skips frames
 * without CAMs.
 */
export const camFallbacks = ['auto', 'score-cam', 'occlusion', 'none'] as const;
export type CamFallback = (typeof camFallbacks)[number];

export const localiseSchema = z
  .object({
    /** Which head's map to localise. */
    head: z.string().min(1).default('element'),
    /** A label of that head, or 'predicted' for its top class. */
    className: z.string().min(1).default('predicted'),
    thresholdMethod: z.enum(thresholdMethods).default('relative'),
    /** Mask = heatmap >= threshold x its maximum (used by 'relative'). */
    threshold: z.number().gt(0).max(1).default(THRESHOLD),
    /** Boxes kept per frame, largest first. */
    maxBoxes: z.number().int().min(1).max(32).default(MAX_BOXES),
    /**
     * Side of the grid the map is upsampled to before thresholding and components: boxes come out
     * at region/gridCells resolution, which is plenty for maps of 7..32 cells and costs ~0.1 ms.
     */
    gridCells: z.number().int().min(4).max(512).default(64),
  })
  .strict();
export type LocaliseOptions = z.infer<typeof localiseSchema>;

export const camFallbackSchema = z
  .object({
    fallback: z.enum(camFallbacks).default('auto'),
    /**
     * Score-CAM masks the input with this many feature channels (those with the largest mean
     * activation in the frame): the cost is channels + 1 forward passes per frame.
     */
    scoreCamChannels: z.number().int().min(1).max(4096).default(64),
    /** Occlusion patches per side: the cost is cells^2 + 1 forward passes per frame. */
    occlusionCells: z.number().int().min(2).max(16).default(6),
    /** A frame's masked or occluded copies are sent to the model in batches of this size. */
    fallbackBatch: z.number().int().min(1).max(256).default(16),
  })
  .strict();
export type CamFallbackOptions = z.infer<typeof camFallbackSchema>;

export const colormaps = ['turbo', 'viridis'] as const;
export type ColormapName = (typeof colormaps)[number];

export const renderSchema = z
  .object({
    colormap: z.enum(colormaps).default('turbo'),
    /** Heatmap opacity at its maximum; it fades with the heat so cold areas keep the picture. */
    heatmapOpacity: z.number().min(0).max(1).default(0.55),
    /** Widest picture rendered; larger frames are scaled down (4K JPEGs are slow and rarely needed). */
    maxWidthPixels: z.number().int().min(64).max(8192).default(MAX_WIDTH_PIXELS),
    /** Narrowest picture rendered; model-sized frames (224, 512 px) are scaled up so labels stay legible. */
    minWidthPixels: z.number().int().min(16).max(8192).default(480),
    jpegQuality: z.number().int().min(1).max(100).default(85),
    /** Darken what lies outside the crop region, so the part the model saw stands out. */
    outsideDimming: z.number().min(0).max(1).default(0.35),
    /** Said after the heatmap's line in the label panel, e.g. 'unreliable: 37.5 % vs centre 60.0 %'. */
    heatmapNote: z.string().optional(),
  })
  .strict();
export type RenderOptions = z.infer<typeof renderSchema>;

/**
 * `rovlens annotate`: flags as commander gives them (strings), coerced and range-checked here; the
 * localisation and render fields reuse the schemas above, so a default lives in one place.
 */
export const annotateSchema = z
  .object({
    output: z.string().optional().describe('an .mp4/.mkv/.mov file, or a folder (ending in /) for one JPEG per frame'),
    contactSheet: z.string().optional().describe('also write a contact sheet (grid of annotated frames, JPEG) here'),
    model: z.string().optional().describe('model (.onnx with its card, or the card); default: the bundled model'),
    device: deviceSchema,
    hwaccel: hwaccelSchema,
    every: z.coerce.number().min(0).max(86_400).default(1).describe('seconds between rendered frames; 0 = every frame'),
    allowTruncated: z
      .boolean()
      .default(false)
      .describe('accept a recording that ends short of its stated duration with a warning (otherwise exit 7)'),
    start: timeSchema.optional().describe('start time in the input'),
    end: timeSchema.optional().describe('end time in the input'),
    crop: cropSchema.optional().describe("relative centre crop '<w>x<h>' (default: the model card's)"),
    batch: z.coerce.number().int().min(1).max(64).default(4).describe('frames per inference run'),
    fps: z.coerce.number().gt(0).max(120).default(2).describe('frame rate of the video written (sampled frames are shown this fast)'),
    head: localiseSchema.shape.head.describe('head whose heatmap is shown'),
    class: localiseSchema.shape.className.describe("class whose heatmap is shown, or 'predicted'"),
    threshold: z.coerce.number().gt(0).max(1).default(THRESHOLD).describe('mask threshold relative to the heatmap maximum'),
    otsu: z.boolean().default(false).describe("threshold by Otsu's method instead"),
    maxBoxes: z.coerce.number().int().min(1).max(32).default(MAX_BOXES).describe('boxes kept per frame, largest first'),
    fallback: camFallbackSchema.shape.fallback.describe(
      'for heads without CAM output: auto = Score-CAM when the pooled feature map is found, else occlusion; none = no heatmap',
    ),
    colormap: renderSchema.shape.colormap.describe('heatmap colours'),
    heatmap: z
      .boolean()
      .optional()
      .describe("draw the heatmap and boxes even where the model card says they point no better than the picture's centre (off there by default)"),
    width: z.coerce.number().int().min(64).max(8192).default(MAX_WIDTH_PIXELS).describe('widest picture written, in pixels'),
    sheetColumns: z.coerce.number().int().min(1).max(16).default(4).describe('contact sheet columns'),
    sheetTiles: z.coerce.number().int().min(1).max(400).default(24).describe('most frames on the contact sheet (evenly spread)'),
    ...overlayOptionsShape,
    ...navOptionsShape,
    quiet: z.boolean().default(false).describe('no summary line'),
  })
  .strict()
  .refine((o) => o.output !== undefined || o.contactSheet !== undefined, {
    message: 'give -o <out.mp4 | folder/> and/or --contact-sheet <file.jpg>',
    path: ['output'],
  })
  .refine((o) => o.start === undefined || o.end === undefined || o.end > o.start, {
    message: '--end must be after --start',
    path: ['end'],
  })
  .superRefine(refineNavOptions);
export type AnnotateOptions = z.infer<typeof annotateSchema>;
