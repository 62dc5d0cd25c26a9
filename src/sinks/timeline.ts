/**
 * Timeline sinks: one row (CSV) or one JSON object (JSON lines) per frame result, written as results
 * arrive and passed on unchanged, so several sinks can follow each other in one pipeline. The file
 * opens on subscribe and closes on complete, error and unsubscribe (Ctrl-C).
 */
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { CamTarget } from '../config/cam-targets.js';
import type { ModelCard } from '../model/card.js';
import type { FrameResult } from '../types.js';
import {
  combineColumns,
  extraLocalisationColumns,
  frameColumns,
  groupColumns,
  headColumns,
  localisationColumns,
  navColumns,
  timecode,
  type ColumnSet,
} from './columns.js';
import { csvRow } from './csv.js';
import { RowFile } from './row-file.js';

export type TimelineFormat = 'csv' | 'jsonl';

/** Columns some runs add: the heatmaps asked for (`--cam-also`) and the navigation log's fields (`--nav`). */
export interface TimelineExtras {
  camAlso?: readonly CamTarget[];
  navFields?: readonly string[];
  /** JSON lines only: the run header that opens the file (see src/exports/run-file.ts). */
  runHeader?: string;
}

/**
 * The timeline's columns: frame, where the vehicle was (with a navigation log), heads (per the card),
 * where the element is, the heatmaps asked for, and its group.
 */
export function timelineColumns(card: ModelCard, extras: TimelineExtras = {}): ColumnSet {
  return combineColumns([
    frameColumns,
    ...(extras.navFields ? [navColumns(extras.navFields)] : []),
    headColumns(card),
    localisationColumns,
    extraLocalisationColumns(extras.camAlso ?? []),
    groupColumns,
  ]);
}

/** The JSON lines record: everything in the CSV plus the full box list and raw probabilities by label. */
export function resultRecord(result: FrameResult): Record<string, unknown> {
  const { frame, heads, localisation, extraLocalisations, group, nav } = result;
  const round = (x: number) => Number(x.toFixed(4));
  return {
    source: frame.sourceId,
    frameIndex: frame.index,
    ptsSeconds: Number(frame.ptsSeconds.toFixed(3)),
    timecode: timecode(frame.ptsSeconds),
    ...(nav ? { nav } : {}),
    heads: Object.fromEntries(
      Object.entries(heads).map(([name, p]) => [
        name,
        {
          label: p.label,
          confidence: round(p.confidence),
          uncertain: p.uncertain,
          probabilities: Object.fromEntries(p.labels.map((l, i) => [l, round(p.probabilities[i]!)])),
        },
      ]),
    ),
    ...(localisation ? { localisation } : {}),
    ...(extraLocalisations ? { extraLocalisations } : {}),
    ...(group ? { group } : {}),
  };
}

/** Writes to `path`, or to standard output when `path` is undefined. */
export function writeTimeline(
  path: string | undefined,
  card: ModelCard,
  format: TimelineFormat = 'csv',
  extras: TimelineExtras = {},
): MonoTypeOperatorFunction<FrameResult> {
  const columns = timelineColumns(card, extras);
  const line =
    format === 'csv' ? (r: FrameResult) => csvRow(columns.values(r)) : (r: FrameResult) => `${JSON.stringify(resultRecord(r))}\n`;
  return (source) =>
    new Observable<FrameResult>((subscriber) => {
      const header = format === 'csv' ? csvRow(columns.header) : extras.runHeader;
      const file = path === undefined ? RowFile.stdout(header) : RowFile.open(path, header);
      // A failed write (full disk) ends the run as an error, not as an exception thrown into RxJS.
      const closed = (then: () => void) => {
        try {
          file.close();
        } catch (error) {
          subscriber.error(error);
          return;
        }
        then();
      };
      const subscription = source.subscribe({
        next: (result) => {
          try {
            file.write(line(result));
          } catch (error) {
            subscriber.error(error);
            return;
          }
          subscriber.next(result);
        },
        error: (error) => closed(() => subscriber.error(error)),
        complete: () => closed(() => subscriber.complete()),
      });
      return () => {
        subscription.unsubscribe();
        try {
          file.close();
        } catch {
          // Torn down after an error that is already reported.
        }
      };
    });
}
