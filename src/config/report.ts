/**
 * Every option of `rovlens report`: defaults and ranges in one schema, shared by the CLI flags and
 * the README's option table.
 */
import { z } from 'zod';
import { exportOptionsSchema } from './export.js';

export const reportOptionsSchema = z.object({
  output: z.string().default('report.html').describe('the report page (HTML, one self-contained file)'),
  summary: z
    .string()
    .optional()
    .describe('summary CSV: time, share and frames per video and class (default: summary.csv beside the report)'),
  title: z.string().optional().describe("the page's title (default: the video's name, or how many videos)"),
  // The same flag as rovlens export's: one definition.
  videos: exportOptionsSchema.shape.videos,
  minSegment: z.coerce.number().min(0).default(0).describe('merge segments shorter than this many seconds, as in rovlens timeline'),
  gallery: z.coerce.number().int().min(0).max(50).default(4).describe('frames per class in each gallery (most confident, least certain)'),
  thumbnailWidth: z.coerce.number().int().min(32).max(640).default(160).describe('thumbnail width in pixels'),
  thumbnails: z.boolean().default(true).describe('pictures of segments and gallery frames, taken from the videos (off: numbers only)'),
  quiet: z.boolean().default(false).describe('no summary line'),
});

export type ReportOptions = z.infer<typeof reportOptionsSchema>;
