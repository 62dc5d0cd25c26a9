/**
 * Every option of `rovlens export`, and the `--export <format>:<file>` targets of `rovlens timeline`:
 * one schema, shared by the CLI flags and the README's option table.
 */
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { commaListSchema, parseFlags } from './flags.js';

export const exportFormats = ['viame', 'dive', 'coco', 'ifdo', 'biigle'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const exportOptionsSchema = z.object({
  to: z.enum(exportFormats).describe('format: viame (VIAME CSV), dive (DIVE JSON), coco (COCO JSON), ifdo (iFDO v2.1.0), biigle (BIIGLE video CSV)'),
  output: z.string().min(1).describe('file to write; a folder for viame and dive with several videos (one file per video)'),
  frames: z.boolean().default(false).describe('coco: extract each sampled frame as a JPEG into a folder beside the JSON (dive.coco.json: dive.coco-frames/)'),
  ifdoHeader: z.string().optional().describe("ifdo: a JSON file with the cruise's iFDO header fields (names, PI, creators, licence, ...)"),
  videos: commaListSchema
    .optional()
    .describe('folders to look in for videos that moved since the run, comma-separated'),
});

export type ExportOptions = z.infer<typeof exportOptionsSchema>;

export const parseExportOptions = (raw: Record<string, unknown>): ExportOptions => {
  const options = parseFlags(exportOptionsSchema, raw);
  if (options.frames && options.to !== 'coco') throw new UsageError('--frames: only with --to coco');
  if (options.ifdoHeader !== undefined && options.to !== 'ifdo') throw new UsageError('--ifdo-header: only with --to ifdo');
  if (options.to === 'ifdo' && options.ifdoHeader === undefined) {
    throw new UsageError("--ifdo-header: iFDO needs the cruise's header fields (a JSON file: image-set-name, image-pi, image-license, ...)");
  }
  return options;
};

/** `--export viame:dive.csv` -> { format: 'viame', path: 'dive.csv' }. */
export const exportTargetSchema = z
  .string()
  .transform((s, ctx) => {
    const colon = s.indexOf(':');
    const format = s.slice(0, colon);
    const path = s.slice(colon + 1);
    if (colon < 0 || !(exportFormats as readonly string[]).includes(format) || !path) {
      ctx.addIssue({ code: 'custom', message: `give <format>:<file> with format one of ${exportFormats.join(', ')}, e.g. viame:dive.viame.csv` });
      return z.NEVER;
    }
    return { format: format as ExportFormat, path };
  });

export type ExportTarget = z.infer<typeof exportTargetSchema>;
