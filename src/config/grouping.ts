/**
 * Every default and range of near-duplicate grouping, inference skipping, revisit search and
 * clustering, in one place shared by the operators, `rovlens group`, `rovlens clusters`, the
 * pipelines and the README's option tables. Threshold defaults were chosen on the grouping
 * evaluation (bench/grouping.ts: real images held with pans, zoom, noise, brightness drift and
 * re-encoding, interleaved and revisited).
 */
import { z } from 'zod';

export const hashMethods = ['dhash', 'phash'] as const;

export const groupingSchema = z
  .object({
    hash: z
      .enum(hashMethods)
      .default('phash')
      .describe('perceptual hash of the model-sized frame (pHash: far fewer false matches on real footage, see bench/grouping.ts)'),
    hashBits: z.number().int().min(0).max(64).default(12).describe('most differing hash bits (of 64) for a frame to stay in its group'),
    minCosine: z
      .number()
      .min(-1)
      .max(1)
      .default(0.9)
      .describe('least embedding cosine for a frame to stay in its group (when both have embeddings)'),
    memoryFrames: z.number().int().min(1).max(64).default(3).describe("frames compared with: the group's latest members"),
    confirmFrames: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(2)
      .describe('non-matching frames in a row that start a new group (hysteresis; 1 = none)'),
  })
  .strict();
export type GroupingOptions = z.infer<typeof groupingSchema>;

export const skipSchema = z
  .object({
    hash: z.enum(hashMethods).default('phash'),
    duplicateBits: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(5)
      .describe('most differing hash bits from the last inferred frame to reuse its result'),
    maxReuseFrames: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(30)
      .describe('run the model again after this many reuses in a row (0 = no limit)'),
  })
  .strict();
export type SkipOptions = z.infer<typeof skipSchema>;

export const revisitSchema = z
  .object({
    revisitHashBits: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(10)
      .describe('most differing hash bits for a later group to join an earlier scene'),
    revisitMinCosine: z
      .number()
      .min(-1)
      .max(1)
      .default(0.92)
      .describe('least cosine of mean embeddings for a later group to join an earlier scene'),
  })
  .strict();
export type RevisitOptions = z.infer<typeof revisitSchema>;

/** `rovlens group`: grouping + revisits + sampling + outputs. */
export const groupCommandSchema = z
  .object({
    output: z.string().default('groups').describe('output folder: groups.csv, frames.csv, contact sheets'),
    every: z.coerce.number().min(0).max(86_400).default(1).describe('seconds between sampled video frames; 0 = every frame'),
    allowTruncated: z
      .boolean()
      .default(false)
      .describe('accept a recording that ends short of its stated duration with a warning (otherwise exit 7)'),
    model: z.string().optional().describe('model for embeddings (.onnx with its card); default: the bundled model when present'),
    embeddings: z.boolean().default(true).describe('use the model embedding as well as the hash (off: hash only, no model)'),
    crop: z.string().optional().describe("relative centre crop '<w>x<h>' (default: the model card's, or 0.67x1 without a model)"),
    size: z.coerce.number().int().min(16).max(1024).default(128).describe('side of the frame hashed when no model sets the size'),
    revisits: z.boolean().default(true).describe('merge groups that show a scene seen earlier (also across files)'),
    sheetColumns: z.coerce.number().int().min(1).max(32).default(8).describe('contact sheet columns'),
    tileWidth: z.coerce.number().int().min(32).max(1024).default(192).describe('contact sheet tile width in pixels'),
    maxTiles: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(96)
      .describe('most representatives on one contact sheet (more sheets follow)'),
    batch: z.coerce.number().int().min(1).max(64).default(8).describe('frames per inference run'),
    quiet: z.boolean().default(false),
  })
  .extend(groupingSchema.shape)
  .extend(revisitSchema.shape);
export type GroupCommandOptions = z.infer<typeof groupCommandSchema>;

export const clusterMethods = ['kmeans', 'dbscan', 'both'] as const;

export const clustersCommandSchema = z
  .object({
    output: z.string().default('clusters').describe('output folder: clusters.csv and one contact sheet per cluster'),
    every: z.coerce.number().min(0).max(86_400).default(1).describe('seconds between sampled video frames; 0 = every frame'),
    allowTruncated: z
      .boolean()
      .default(false)
      .describe('accept a recording that ends short of its stated duration with a warning (otherwise exit 7)'),
    model: z.string().optional().describe('model (.onnx with its card); default: the bundled model'),
    crop: z.string().optional().describe("relative centre crop '<w>x<h>' (default: the model card's)"),
    element: z.string().optional().describe('cluster only frames whose predicted element is this label (e.g. waste)'),
    head: z.string().default('element').describe('head whose label --element filters on'),
    method: z.enum(clusterMethods).default('kmeans').describe('k-means, DBSCAN, or both'),
    k: z.coerce.number().int().min(2).max(100).optional().describe('clusters for k-means (default: chosen by silhouette)'),
    kMin: z.coerce.number().int().min(2).max(100).default(2).describe('smallest k tried when choosing by silhouette'),
    kMax: z.coerce.number().int().min(2).max(100).default(10).describe('largest k tried when choosing by silhouette'),
    eps: z.coerce.number().gt(0).max(2).default(0.35).describe('DBSCAN radius on unit embeddings (0.35 ~ cosine 0.94)'),
    minPoints: z.coerce
      .number()
      .int()
      .min(2)
      .max(1000)
      .default(4)
      .describe('DBSCAN: neighbours (itself included) that make a point a core'),
    seed: z.coerce.number().int().min(0).default(1).describe('k-means++ seed'),
    dedupe: z.boolean().default(true).describe('cluster one frame per near-duplicate group, not every frame'),
    tileWidth: z.coerce.number().int().min(32).max(1024).default(160),
    maxTiles: z.coerce.number().int().min(1).max(1000).default(48).describe('frames shown per cluster sheet (closest to the centre first)'),
    batch: z.coerce.number().int().min(1).max(64).default(8),
    quiet: z.boolean().default(false),
  })
  .refine((o) => o.kMax >= o.kMin, { message: '--k-max must be at least --k-min', path: ['kMax'] });
export type ClustersCommandOptions = z.infer<typeof clustersCommandSchema>;

export { parseFlags } from './flags.js';

/** Defaults of the grouping stage, for pipelines that do not parse flags. */
export const defaultGrouping: GroupingOptions = groupingSchema.parse({});
export const defaultSkip: SkipOptions = skipSchema.parse({});
export const defaultRevisit: RevisitOptions = revisitSchema.parse({});
