/**
 * summary.csv: one row per video and class, then one row per class for the whole run (`scope` says
 * which). The report page shows the same cells, rounded the same way (`summaryCells`).
 */
import { timecode } from '../sinks/columns.js';
import { csvRow } from '../sinks/csv.js';
import type { ClassSummary, RunSummary } from './summary.js';

export const SUMMARY_HEADER = [
  'scope',
  'video',
  'head',
  'class',
  'seconds',
  'share',
  'frames',
  'main_frames',
  'first_seen_video',
  'first_seen_seconds',
  'first_seen',
  'last_seen_video',
  'last_seen_seconds',
  'last_seen',
] as const;

/** Seconds to the millisecond, shares to four decimals: as written and as shown. */
export const roundSeconds = (x: number) => Number(x.toFixed(3));
export const roundShare = (x: number) => Number(x.toFixed(4));

export function summaryCells(scope: 'video' | 'run', video: string, c: ClassSummary): (string | number | undefined)[] {
  return [
    scope,
    video,
    c.head,
    c.label,
    roundSeconds(c.seconds),
    roundShare(c.share),
    c.frames,
    c.mainFrames,
    c.firstSeen?.source,
    c.firstSeen && roundSeconds(c.firstSeen.ptsSeconds),
    c.firstSeen && timecode(c.firstSeen.ptsSeconds),
    c.lastSeen?.source,
    c.lastSeen && roundSeconds(c.lastSeen.ptsSeconds),
    c.lastSeen && timecode(c.lastSeen.ptsSeconds),
  ];
}

/** The whole file as text (RFC 4180, CRLF rows); the run rows name no video. */
export function summaryCsv(summary: RunSummary): string {
  const rows = [
    csvRow(SUMMARY_HEADER),
    ...summary.videos.flatMap((v) => v.classes.map((c) => csvRow(summaryCells('video', v.source, c)))),
    ...summary.overall.classes.map((c) => csvRow(summaryCells('run', '', c))),
  ];
  return rows.join('');
}
