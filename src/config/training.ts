/**
 * Every default and range of `rovlens train` and `rovlens evaluate`, in one schema shared by the
 * CLI flags, the scripts in models/scripts and the option tables in models/README.md.
 */
import { z } from 'zod';

export const TASKS = ['floor', 'element', 'both'] as const;
export type Task = (typeof TASKS)[number];
export const SPLITS = ['auto', 'group', 'near-duplicates', 'stratified'] as const;

/** Labels in a manifest that mean "no answer" for that head: such rows are skipped for that head. */
export const SKIPPED_LABELS = ['none', 'unsure', ''] as const;

export const trainingOptionsSchema = z
  .object({
    task: z.enum(TASKS).default('both').describe('which heads to train'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1)
      .describe('seed for the split, the augmentation and training'),
    split: z
      .enum(SPLITS)
      .default('auto')
      .describe(
        "'auto': by the data's groups when every image has one, else stratified; 'near-duplicates': by groups found by hashing the images",
      ),
    validationFraction: z.number().min(0.05).max(0.5).default(0.2).describe('share of each class held out for validation'),
    views: z.number().int().min(0).max(16).default(3).describe('augmented views per training image, besides the clean one'),
    inputSizePx: z
      .number()
      .int()
      .min(32)
      .max(1024)
      .optional()
      .describe("model input side in pixels (default: the base card's); the backbone must accept it"),
    epochs: z.number().int().min(1).max(5000).default(300).describe('full-batch Adam steps'),
    learningRate: z.number().gt(0).max(1).default(0.01).describe('Adam step size'),
    l2: z.number().min(0).max(100).default(0.3).describe('L2 penalty strength (on the weights the penalty option names)'),
    penalty: z
      .enum(['standardised', 'raw'])
      .default('standardised')
      .describe(
        "'standardised': L2 on weights of standardised features (large graph weights on channels that barely vary); 'raw': L2 on the weights written into the graph, which the CAM uses",
      ),
    sdFloorFraction: z
      .number()
      .min(0)
      .max(100)
      .default(0)
      .describe("with --penalty standardised: each channel's scale is at least this fraction of the median sd (0: off)"),
    classWeights: z.boolean().default(true).describe('weight classes inversely to their frequency'),
    batchSize: z.number().int().min(1).max(256).default(8).describe('images per ONNX Runtime run'),
    uncertainBelow: z.number().min(0).max(1).optional().describe('threshold written into the card (default: chosen on validation)'),
    uncertainFraction: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.1)
      .describe('when choosing the threshold: share of validation answers it may flag'),
    cacheDir: z.string().optional().describe('embedding cache folder (default ~/.cache/rovlens/embeddings)'),
  })
  .strict();
export type TrainingOptions = z.infer<typeof trainingOptionsSchema>;

/** Ranges of the augmentation applied to each extra training view (uniform within each range). */
export const augmentationSchema = z
  .object({
    blurSigmaMax: z.number().min(0).max(10).default(2.5).describe('at the model input size'),
    blurProbability: z.number().min(0).max(1).default(0.5),
    downscaleProbability: z.number().min(0).max(1).default(0.4).describe('share of views whose source is first shrunk (lower resolution)'),
    downscaleMin: z.number().gt(0).max(1).default(0.25).describe('smallest shrink factor of the source'),
    brightnessRange: z.number().min(0).max(1).default(0.4).describe('multiplier 1 +- this'),
    contrastRange: z.number().min(0).max(1).default(0.4).describe('gain 1 +- this around mid-grey'),
    saturationRange: z.number().min(0).max(1).default(0.3),
    hueShiftDegreesMax: z.number().min(0).max(180).default(20),
    jpegQualityMin: z.number().int().min(1).max(100).default(15),
    jpegProbability: z.number().min(0).max(1).default(0.5),
    translateFractionMax: z.number().min(0).max(0.3).default(0.08),
    scaleRange: z.number().min(0).max(0.5).default(0.15).describe('crop zoom 1 +- this'),
    rotateDegreesMax: z.number().min(0).max(45).default(10),
    mirrorProbability: z.number().min(0).max(1).default(0.5),
    perspectiveMax: z.number().min(0).max(0.3).default(0.06).describe('corner displacement as a fraction of the side'),
  })
  .strict();
export type AugmentationRanges = z.infer<typeof augmentationSchema>;

/** The perturbations of `evaluate --robustness`, each applied to the whole source image before the crop. */
export const robustnessSchema = z
  .object({
    downscaleHeightPx: z.number().int().min(64).default(480),
    jpegQuality: z.number().int().min(1).max(100).default(15),
    blurSigma: z.number().gt(0).max(20).default(2),
    brightnessContrastFraction: z.number().min(0).max(1).default(0.4),
    hueShiftDegrees: z.number().min(0).max(180).default(20),
    /** Dark bars, each this share of the width, painted at the left and right edges (an ROV frame in view). */
    barWidthFraction: z.number().gt(0).max(0.3).default(0.12),
  })
  .strict();
export type RobustnessSettings = z.infer<typeof robustnessSchema>;

export const evaluateOptionsSchema = z
  .object({
    task: z.enum(TASKS).default('both'),
    batchSize: z.number().int().min(1).max(256).default(8),
    robustness: z.boolean().default(false),
    json: z.boolean().default(false),
    /** Evaluate only the validation part of a split made as `train` makes it (same seed, same fraction). */
    validationOnly: z.boolean().default(false),
    /** Leave one source out: a head trained on every other source, scored on the source (generalisation to a new lab). */
    bySource: z.boolean().default(false),
    /** Sources with fewer labelled images (per head) get no fold. */
    minSourceImages: z.number().int().min(2).max(1_000_000).default(30),
    /** With --by-source: weight each training image by 1 / (images of its source), so every source counts the same. */
    balanceSources: z.boolean().default(false),
    seed: trainingOptionsSchema.shape.seed,
    validationFraction: trainingOptionsSchema.shape.validationFraction,
    split: trainingOptionsSchema.shape.split,
    baseline: z
      .union([z.string().min(1), z.literal(false)])
      .optional()
      .describe("also score this model on the same pictures (default: the model the evaluated one was trained from, as its card records it)"),
  })
  .strict();
export type EvaluateOptions = z.infer<typeof evaluateOptionsSchema>;

/** Flags of these schemas parse through the one path every command uses. */
export { flagName, parseFlags as parseOptions } from './flags.js';
