/**
 * The navigation-log options shared by `rovlens timeline` and `rovlens annotate`: one schema, so a
 * default and its help text live in one place.
 */
import { z } from 'zod';
import { dateOrders, parseInstant } from '../timecode.js';
import { commaListSchema } from './flags.js';

export const navOptionsShape = {
  nav: z
    .string()
    .optional()
    .describe(
      'navigation log (CSV), or telemetry subtitles (Cockpit / QGroundControl .ass, or a video with such a subtitle track): position, depth and heading joined to each frame by time, interpolated',
    ),
  videoStart: z
    .string()
    .transform((s, ctx) => {
      const instant = parseInstant(s);
      if (!instant)
        ctx.addIssue({ code: 'custom', message: 'give an ISO 8601 date and time, e.g. 2022-10-06T13:50:40 or 2022-10-06T20:50:40Z' });
      return instant ?? { ms: 0, zoned: false };
    })
    .optional()
    .describe("the video's time 0 on the navigation log's clock (ISO 8601); default: the file's creation_time"),
  navOffset: z.coerce
    .number()
    .min(-1e7)
    .max(1e7)
    .default(0)
    .describe("seconds added to each video's start: -3 when the camera's clock runs 3 s ahead of the log's"),
  navTime: z.string().optional().describe("the log's time column, or '<date column>+<time column>' (default: found by name)"),
  navFields: commaListSchema
    .optional()
    .describe('log columns to join, comma-separated (default: those named like lat, lon, depth, altitude, heading)'),
  navDateOrder: z.enum(dateOrders).optional().describe('order of dates like 10/6/2022 in the log (default: inferred when unambiguous)'),
  navMaxGap: z.coerce.number().gt(0).default(10).describe('seconds between log records beyond which frames in between get no position'),
};

const navOptionsSchema = z.object(navOptionsShape);
export type NavOptions = z.infer<typeof navOptionsSchema>;

/** The log's options mean nothing without the log: the first one given names the mistake. */
export function refineNavOptions(o: Partial<NavOptions>, ctx: z.RefinementCtx): void {
  if (o.nav !== undefined) return;
  const given =
    (['videoStart', 'navTime', 'navFields', 'navDateOrder'] as const).find((k) => o[k] !== undefined) ??
    (o.navOffset ? 'navOffset' : undefined);
  if (given) ctx.addIssue({ code: 'custom', message: 'needs --nav <log.csv>', path: [given] });
}
