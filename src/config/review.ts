/**
 * Every default and range of `rovlens review` in one schema, shared by the CLI flags
 * (src/commands/review.ts) and the README's option table.
 */
import { userInfo } from 'node:os';
import { z } from 'zod';
import { defaultGrouping, groupingSchema } from './grouping.js';
import { deviceSchema } from './hardware.js';
import { cropSchema } from './timeline.js';
import { isLoopbackHost, liveServerSchema } from './live.js';

export const reviewOptionsSchema = z
  .object({
    labels: z.string().min(1).default('labels.csv').describe('the labels manifest the review writes as it goes (and resumes from)'),
    list: z.boolean().default(false).describe('print the review queue in page order and exit, no server'),
    json: z.boolean().default(false).describe('with --list: a JSON array instead of CSV'),
    reviewer: z.string().min(1).max(200).optional().describe('who reviews, written on every row (default: the login name)'),
    model: z.string().optional().describe('model (.onnx with its card, or the card); default: the bundled model'),
    device: deviceSchema,
    every: z.coerce.number().min(0).max(86_400).default(1).describe('seconds between sampled video frames; 0 = every frame'),
    crop: cropSchema.optional().describe("relative centre crop '<w>x<h>' (default: the model card's)"),
    batch: z.coerce.number().int().min(1).max(64).default(4).describe('frames per inference run'),
    hashBits: z.coerce
      .number()
      .int()
      .min(0)
      .max(64)
      .default(defaultGrouping.hashBits)
      .describe(`${groupingSchema.shape.hashBits.description}: more bits, bigger groups, fewer decisions`),
    minCosine: z.coerce
      .number()
      .min(-1)
      .max(1)
      .default(defaultGrouping.minCosine)
      .describe(`${groupingSchema.shape.minCosine.description}: lower, bigger groups`),
    host: liveServerSchema.shape.host.describe('address to bind; anything but loopback needs a token'),
    port: z.coerce.number().int().min(0).max(65_535).default(8621).describe('port of the review page (0: any free port)'),
    token: liveServerSchema.shape.token.describe('secret the page must present (`?token=`); also read from ROVLENS_REVIEW_TOKEN'),
    allowOrigin: liveServerSchema.shape.allowOrigins.describe("extra browser origins allowed to call the page's API"),
    displayWidth: z.coerce
      .number()
      .int()
      .min(160)
      .max(3840)
      .default(960)
      .describe('width of the pictures shown, in pixels (scaled down only)'),
    jpegQuality: z.coerce.number().int().min(1).max(100).default(85).describe('quality of the pictures shown, 1..100'),
    quiet: z.boolean().default(false).describe('no progress lines'),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (!options.list && !isLoopbackHost(options.host) && !options.token) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: `binding ${options.host} exposes the review beyond this machine: pass --token <secret> (8+ characters), or bind 127.0.0.1`,
      });
    }
  });
export type ReviewOptions = z.infer<typeof reviewOptionsSchema>;

export const defaultReviewer = (): string => {
  try {
    return userInfo().username || 'reviewer';
  } catch {
    return 'reviewer';
  }
};
