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
  timecode,
  type ColumnSet,
} from './columns.js';
import { csvRow } from './csv.js';
import { RowFile } from './row-file.js';

export type TimelineFormat = 'csv' | 'jsonl';

/** The timeline's columns: frame, heads (per the card), where the element is, the heatmaps asked for, and its group. */
export function timelineColumns(card: ModelCard, camAlso: readonly CamTarget[] = []): ColumnSet {
  return combineColumns([frameColumns, headColumns(card), localisationColumns, extraLocalisationColumns(camAlso), groupColumns]);
}

/** The JSON lines record: everything in the CSV plus the full box list and raw probabilities by label. */
export function resultRecord(result: FrameResult): Record<string, unknown> {
  const { frame, heads, localisation, extraLocalisations, group } = result;
  const round = (x: number) => Number(x.toFixed(4));
  return {
    source: frame.sourceId,
    frameIndex: frame.index,
    ptsSeconds: Number(frame.ptsSeconds.toFixed(3)),
    timecode: timecode(frame.ptsSeconds),
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

/** Writes to `path`, or to standard output when `path` is undefined. `camAlso`: the extra heatmaps' columns. */
export function writeTimeline(
  path: string | undefined,
  card: ModelCard,
  format: TimelineFormat = 'csv',
  camAlso: readonly CamTarget[] = [],
): MonoTypeOperatorFunction<FrameResult> {
  const columns = timelineColumns(card, camAlso);
  const line =
    format === 'csv' ? (r: FrameResult) => csvRow(columns.values(r)) : (r: FrameResult) => `${JSON.stringify(resultRecord(r))}\n`;
  return (source) =>
    new Observable<FrameResult>((subscriber) => {
      const header = format === 'csv' ? csvRow(columns.header) : undefined;
      const file = path === undefined ? RowFile.stdout(header) : RowFile.open(path, header);
      const subscription = source.subscribe({
        next: (result) => {
          file.write(line(result));
          subscriber.next(result);
        },
        error: (error) => {
          file.close();
          subscriber.error(error);
        },
        complete: () => {
          file.close();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        file.close();
      };
    });
}
