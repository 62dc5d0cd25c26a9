/**
 * Segments: consecutive runs of the same label per head ("00:03:10.000-00:07:45.000 sandy"), what a
 * scientist reads first. Pure maths in `segmentTrack`; `writeSegments` collects the (small) label
 * track while results stream past and writes the file when the stream ends, however it ends.
 */
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { FrameResult, NavSample } from '../types.js';
import { timecode } from './columns.js';
import { csvRow } from './csv.js';
import { RowFile } from './row-file.js';

export interface TrackSample {
  ptsSeconds: number;
  label: string;
  confidence: number;
  /** Where the vehicle was (with a navigation log). */
  nav?: NavSample;
}

export interface Segment {
  label: string;
  startSeconds: number;
  /** Where the next segment starts; for the last one, its last sample plus one sampling interval. */
  endSeconds: number;
  frames: number;
  /** Mean confidence of the samples that carried this label (relabelled flickers are not counted). */
  meanConfidence: number;
  /** Indices of the segment's first and last samples in the track. */
  firstSample: number;
  lastSample: number;
}

export interface SegmentOptions {
  /** Relabel a single sample whose neighbours on both sides agree with each other (default true). */
  smoothFlickers?: boolean;
  /** Merge shorter segments into the one before them (the first into the one after). Default 0. */
  minSegmentSeconds?: number;
}

interface Run {
  label: string;
  start: number;
  count: number;
  confidenceSum: number;
  confidenceCount: number;
}

export function segmentTrack(samples: readonly TrackSample[], options: SegmentOptions = {}): Segment[] {
  if (!samples.length) return [];
  const labels = samples.map((s) => s.label);
  if (options.smoothFlickers ?? true) {
    for (let i = 1; i + 1 < labels.length; i++) {
      if (labels[i] !== labels[i - 1] && labels[i - 1] === labels[i + 1]) labels[i] = labels[i - 1]!;
    }
  }
  const interval = medianInterval(samples);
  const endOf = (run: Run) =>
    run.start + run.count < samples.length
      ? samples[run.start + run.count]!.ptsSeconds
      : samples[samples.length - 1]!.ptsSeconds + interval;
  let runs: Run[] = [];
  labels.forEach((label, i) => {
    const s = samples[i]!;
    const own = s.label === label;
    const last = runs[runs.length - 1];
    if (last && last.label === label) {
      last.count++;
      if (own) ((last.confidenceSum += s.confidence), last.confidenceCount++);
    } else {
      runs.push({ label, start: i, count: 1, confidenceSum: own ? s.confidence : 0, confidenceCount: own ? 1 : 0 });
    }
  });
  const min = options.minSegmentSeconds ?? 0;
  if (min > 0 && runs.length > 1) {
    const merged: Run[] = [];
    for (const run of runs) {
      const prev = merged[merged.length - 1];
      const short = endOf(run) - samples[run.start]!.ptsSeconds < min;
      if (prev && (short || prev.label === run.label)) {
        prev.count += run.count;
        if (prev.label === run.label) ((prev.confidenceSum += run.confidenceSum), (prev.confidenceCount += run.confidenceCount));
      } else merged.push({ ...run });
    }
    // A short first segment joins the second.
    if (merged.length > 1 && endOf(merged[0]!) - samples[0]!.ptsSeconds < min) {
      const [first, second] = merged as [Run, Run];
      second.start = first.start;
      second.count += first.count;
      merged.shift();
    }
    runs = merged;
  }
  return runs.map((run) => ({
    label: run.label,
    startSeconds: samples[run.start]!.ptsSeconds,
    endSeconds: endOf(run),
    frames: run.count,
    meanConfidence: run.confidenceCount ? run.confidenceSum / run.confidenceCount : 0,
    firstSample: run.start,
    lastSample: run.start + run.count - 1,
  }));
}

function medianInterval(samples: readonly TrackSample[]): number {
  const gaps = samples
    .slice(1)
    .map((s, i) => s.ptsSeconds - samples[i]!.ptsSeconds)
    .filter((g) => g > 0)
    .sort((a, b) => a - b);
  return gaps.length ? gaps[Math.floor(gaps.length / 2)]! : 0;
}

export const SEGMENT_HEADER = [
  'source',
  'track',
  'label',
  'start',
  'end',
  'start_seconds',
  'end_seconds',
  'duration_seconds',
  'frames',
  'mean_confidence',
];

export interface WriteSegmentsOptions extends SegmentOptions {
  /**
   * Navigation log columns: each segment gets `start_<column>`s (at its first frame) and
   * `end_<column>`s (where it ends: the next segment's first frame, or the last frame for the last one).
   */
  navFields?: readonly string[];
}

export function writeSegments(
  path: string,
  heads: readonly string[],
  options: WriteSegmentsOptions = {},
): MonoTypeOperatorFunction<FrameResult> {
  const navFields = options.navFields ?? [];
  const header = [...SEGMENT_HEADER, ...navFields.map((f) => `start_${f}`), ...navFields.map((f) => `end_${f}`)];
  return (source) =>
    new Observable<FrameResult>((subscriber) => {
      // Per source, per head: a few numbers per sample, so hours of video stay small.
      const tracks = new Map<string, Map<string, TrackSample[]>>();
      let written = false;
      const flush = () => {
        if (written) return;
        written = true;
        const file = RowFile.open(path, csvRow(header));
        for (const [sourceId, byHead] of tracks) {
          for (const head of heads) {
            const track = byHead.get(head) ?? [];
            for (const s of segmentTrack(track, options)) {
              const r = (x: number) => Number(x.toFixed(3));
              file.write(
                csvRow([
                  sourceId,
                  head,
                  s.label,
                  timecode(s.startSeconds),
                  timecode(s.endSeconds),
                  r(s.startSeconds),
                  r(s.endSeconds),
                  r(s.endSeconds - s.startSeconds),
                  s.frames,
                  Number(s.meanConfidence.toFixed(4)),
                  // The end is where the next segment starts: the position there, or at the last sample.
                  ...[s.firstSample, Math.min(s.lastSample + 1, track.length - 1)].flatMap((i) =>
                    navFields.map((f) => {
                      const v = track[i]!.nav?.values[f];
                      return v === undefined ? undefined : Number(v.toFixed(7));
                    }),
                  ),
                ]),
              );
            }
          }
        }
        file.close();
      };
      const subscription = source.subscribe({
        next: (result) => {
          let byHead = tracks.get(result.frame.sourceId);
          if (!byHead) tracks.set(result.frame.sourceId, (byHead = new Map()));
          for (const head of heads) {
            const p = result.heads[head];
            if (!p) continue;
            let track = byHead.get(head);
            if (!track) byHead.set(head, (track = []));
            track.push({
              ptsSeconds: result.frame.ptsSeconds,
              label: p.label,
              confidence: p.confidence,
              ...(navFields.length && result.nav ? { nav: result.nav } : {}),
            });
          }
          subscriber.next(result);
        },
        error: (error) => {
          try {
            flush();
          } catch {
            // The run's own error is the one reported.
          }
          subscriber.error(error);
        },
        complete: () => {
          try {
            flush();
          } catch (error) {
            subscriber.error(error);
            return;
          }
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        try {
          flush();
        } catch (error) {
          // Interrupted: nothing is listening any more, so the failure is said here.
          process.stderr.write(`rovlens: ${(error as Error).message}\n`);
          process.exitCode = (error as { exitCode?: number }).exitCode ?? 1;
        }
      };
    });
}
