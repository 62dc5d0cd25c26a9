/**
 * Every option of `rovlens timeline`: defaults and ranges in one schema, shared by the CLI flags,
 * pipeline files and the README's option table.
 */
import { z } from 'zod';
import { camTargetsSchema } from './cam-targets.js';
import { exportTargetSchema } from './export.js';
import { navOptionsShape, refineNavOptions } from './nav.js';
import { overlayOptionsShape } from './overlay.js';
import { parseFlags } from './flags.js';
import { deviceSchema, hwaccelSchema } from './hardware.js';

/** "0.67x1" -> { widthFraction: 0.67, heightFraction: 1 } */
export const cropSchema = z
  .string()
  .regex(/^\s*(0?\.\d+|1(\.0+)?)\s*x\s*(0?\.\d+|1(\.0+)?)\s*$/, "crop must be '<width>x<height>' as fractions in (0, 1], e.g. 0.67x1")
  .transform((s) => {
    const [w, h] = s.split('x').map(Number);
    return { widthFraction: w!, heightFraction: h! };
  })
  .refine((c) => c.widthFraction > 0 && c.heightFraction > 0, 'crop fractions must be above 0');

/** Seconds as "90", "90.5", "01:30" or "00:01:30.5". */
export const timeSchema = z
  .string()
  .regex(/^(\d+(\.\d+)?|(\d+:)?\d{1,2}:\d{1,2}(\.\d+)?)$/, 'time must be seconds (90.5) or [HH:]MM:SS[.mmm]')
  .transform((s) => s.split(':').reduce((acc, part) => acc * 60 + Number(part), 0));

export const timelineOptionsSchema = z
  .object({
    output: z.string().optional().describe('output file, or a folder for one file per input (default: stdout)'),
    every: z.coerce.number().min(0).max(86_400).default(1).describe('seconds between sampled frames; 0 = every frame'),
    keyframes: z.boolean().default(false).describe('decode keyframes only: a fast scan of long missions'),
    start: timeSchema.optional().describe('start time in the input'),
    end: timeSchema.optional().describe('end time in the input'),
    allowTruncated: z
      .boolean()
      .default(false)
      .describe('accept a recording that ends short of its stated duration with a warning (otherwise exit 7)'),
    crop: cropSchema.optional().describe("relative centre crop '<w>x<h>' (default: the model card's)"),
    model: z.string().optional().describe('model (.onnx with its card, or the card); default: the bundled model'),
    device: deviceSchema,
    hwaccel: hwaccelSchema,
    batch: z.coerce.number().int().min(1).max(64).default(4).describe('frames per inference run'),
    format: z.enum(['csv', 'jsonl']).default('csv').describe('timeline format'),
    segments: z.string().optional().describe('segments CSV (runs of the same floor / element)'),
    geojson: z
      .string()
      .optional()
      .describe(
        "a map (GeoJSON) of the run: segments as lines along the vehicle's track, frames as points; needs --nav with latitude and longitude",
      ),
    minSegment: z.coerce.number().min(0).default(0).describe('merge segments shorter than this many seconds'),
    uncertainBelow: z.coerce.number().min(0).max(1).optional().describe("answer 'uncertain' below this confidence (default: the card's)"),
    camThreshold: z.coerce.number().gt(0).max(1).default(0.5).describe('element mask: heatmap >= this fraction of its maximum'),
    camMethod: z.enum(['relative', 'otsu']).default('relative').describe('how the heatmap is thresholded into a mask'),
    camFallback: z
      .enum(['auto', 'score-cam', 'occlusion', 'none'])
      .default('auto')
      .describe('heatmaps for heads without CAM outputs: auto = Score-CAM when the pooled feature map is found, else occlusion'),
    camAlso: camTargetsSchema
      .optional()
      .describe(
        "more heatmaps per frame as '<head>:<class>' pairs (class: a label or 'predicted'), e.g. element:waste; each adds <head>_<class>_box, _peak_x, _peak_y and _area columns",
      ),
    ...overlayOptionsShape,
    ...navOptionsShape,
    export: z
      .array(exportTargetSchema)
      .optional()
      .describe(
        "also write <format>:<file> when the run ends (viame, dive, coco, ifdo, biigle; repeatable), as 'rovlens export' would from the run",
      ),
    ifdoHeader: z.string().optional().describe("with --export ifdo:<file>: the cruise's iFDO header fields (JSON)"),
    skipDuplicates: z
      .boolean()
      .default(true)
      .describe('a near-duplicate of the last inferred frame reuses its result instead of running the model'),
    pushdown: z.boolean().default(true).describe('sample, crop and resize inside ffmpeg, not in the RxJS operators'),
    pipeline: z.string().optional().describe('a pipeline module (.js/.mjs) exporting timelinePipeline, to replace the built-in one'),
    quiet: z.boolean().default(false).describe('no progress bar or summary'),
  })
  .refine((o) => o.start === undefined || o.end === undefined || o.end > o.start, {
    message: '--end must be after --start',
    path: ['end'],
  })
  .superRefine(refineNavOptions)
  .refine((o) => o.geojson === undefined || o.nav !== undefined, { message: 'needs --nav <log.csv> (the positions)', path: ['geojson'] })
  .refine((o) => !o.export?.some((t) => t.format === 'ifdo') || o.ifdoHeader !== undefined, {
    message: "iFDO needs --ifdo-header <cruise.json> (the cruise's header fields)",
    path: ['export'],
  });

export type TimelineOptions = z.infer<typeof timelineOptionsSchema>;

/** Validates parsed flags; the error names the flag and the expected form. */
export const parseTimelineOptions = (raw: Record<string, unknown>): TimelineOptions => parseFlags(timelineOptionsSchema, raw);
