/**
 * The merge job of a recording: chunk files in, the files `rovlens timeline -o <out>/` writes out
 * (timeline and segments), through the same sinks. Where a chunk's warm-up found no frame to join at
 * (a scene held still longer than the warm-up), the chunk is run again from the last frame where the
 * run so far started afresh, which joins by construction.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, defaultIfEmpty } from 'rxjs';
import { defaultGrouping } from '../config/grouping.js';
import { parseTimelineOptions, type TimelineOptions } from '../config/timeline.js';
import { RovlensError, ExitCode } from '../errors.js';
import { loadModelCard } from '../model/card.js';
import { DEFAULT_MODEL } from '../paths.js';
import { writeSegments } from '../sinks/segments.js';
import { writeTimeline } from '../sinks/timeline.js';
import { NavJoin } from '../telemetry/nav-join.js';
import type { FrameResult } from '../types.js';
import { readChunk } from './chunk-file.js';
import { doneMarker, workFolder, type ChunkReturn, type RecordingData } from './jobs.js';
import { applyJoin, findJoin, lastFreshStart } from './merge.js';
import { slotStart } from './plan.js';
import { runChunk } from './run-chunk.js';

export interface MergeReport {
  rows: number;
  timeline: string;
  segments: string;
  /** Chunks whose warm-up found no join and were run again from an earlier frame. */
  rerun: number;
}

/** The grouping decides a frame at most this many frames later: the last ones of a cut chunk are not final. */
const UNDECIDED_AT_CUT = defaultGrouping.confirmFrames - 1;

export async function mergeRecording(data: RecordingData, chunks: readonly ChunkReturn[], signal?: AbortSignal): Promise<MergeReport> {
  const options = parseTimelineOptions(data.flags);
  const ordered = [...chunks].sort((a, b) => a.index - b.index);
  if (ordered.length !== data.chunks.length || ordered.some((c, i) => c.index !== i)) {
    throw new RovlensError(`${data.sourceId}: ${ordered.length} of ${data.chunks.length} chunk results are there`, ExitCode.internal);
  }
  let rerun = 0;
  let merged = readChunk(ordered[0]!.file);
  let trusted = trustedRows(merged, data.chunks[0]!.decodeToSeconds);
  for (let k = 1; k < ordered.length; k++) {
    const plan = data.chunks[k]!;
    let next = readChunk(ordered[k]!.file);
    let join = findJoin(merged, trusted, next);
    if (!join) {
      const fresh = lastFreshStart(merged, trusted);
      if (!fresh) throw new RovlensError(`${data.sourceId}: chunk ${k} has nothing to join`, ExitCode.internal);
      next = await rerunFrom(data, options, fresh, plan.decodeToSeconds, signal);
      join = findJoin(merged, trusted, next);
      if (!join) throw new RovlensError(`${data.sourceId}: chunk ${k} run again still does not join`, ExitCode.internal);
      rerun++;
    }
    merged = applyJoin(merged, next, join);
    trusted = trustedRows(merged, plan.decodeToSeconds);
  }
  const named = merged.map((r) => ({ ...r, frame: { ...r.frame, sourceId: data.sourceId } }));
  const paths = await writeOutputs(data, options, named);
  mkdirSync(join(data.out, '.rovlens-queue'), { recursive: true });
  const report = { rows: named.length, ...paths, rerun };
  writeFileSync(doneMarker(data.out, data.key), `${JSON.stringify({ input: data.sourceId, ...report })}\n`);
  rmSync(workFolder(data.out, data.key), { recursive: true, force: true });
  return report;
}

function trustedRows(rows: readonly FrameResult[], decodeTo: number | undefined): number {
  return decodeTo === undefined ? rows.length : Math.max(0, rows.length - UNDECIDED_AT_CUT);
}

/** Decodes from exactly `fresh`: the first frame then goes to the model and opens a group, as in the run. */
async function rerunFrom(
  data: RecordingData,
  options: TimelineOptions,
  fresh: FrameResult,
  toSeconds: number | undefined,
  signal: AbortSignal | undefined,
): Promise<FrameResult[]> {
  const halfFrame = 0.5 / Math.max(1, data.fps);
  const fromSeconds =
    options.every > 0 ? slotStart(fresh.frame.ptsSeconds, options.every) : Math.max(0, fresh.frame.ptsSeconds - halfFrame);
  const rows: FrameResult[] = [];
  await runChunk(data.input, options, { fromSeconds, toSeconds }, (r) => rows.push(stripPixels(r)), signal);
  return rows;
}

function stripPixels(result: FrameResult): FrameResult {
  const { embedding: _embedding, cams: _cams, ...rest } = result;
  return { ...rest, frame: { ...result.frame, pixels: new Uint8Array(0) } };
}

/** The files and names `rovlens timeline -o <out>/` gives this recording. */
async function writeOutputs(data: RecordingData, options: TimelineOptions, results: FrameResult[]) {
  const card = loadModelCard(options.model ?? DEFAULT_MODEL).card;
  const navFields = NavJoin.open(options, () => true)?.fields;
  const ext = options.format === 'csv' ? '.csv' : '.jsonl';
  const timeline = join(data.out, `${data.stem}.timeline${ext}`);
  const segments = join(data.out, `${data.stem}.segments.csv`);
  await lastValueFrom(
    from(results).pipe(
      writeTimeline(timeline, card, options.format, { camAlso: options.camAlso, navFields }),
      writeSegments(segments, Object.keys(card.heads), { minSegmentSeconds: options.minSegment, navFields }),
      defaultIfEmpty(undefined),
    ),
  );
  return { timeline, segments };
}
