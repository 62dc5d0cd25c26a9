/**
 * The merge job of a recording: chunk files in, the files `rovlens timeline -o <out>/` writes out
 * (timeline and segments), through the same grouping stage and sinks. Where a chunk's warm-up found
 * no frame to join at (a still scene where reuse never lined up), the chunk is run again from the
 * last frame the run so far sent to the model, which joins by construction, until it meets the chunk.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultIfEmpty, from, lastValueFrom } from 'rxjs';
import { defaultGrouping } from '../config/grouping.js';
import { parseTimelineOptions, type TimelineOptions } from '../config/timeline.js';
import { ExitCode, RovlensError } from '../errors.js';
import { loadModelCard } from '../model/card.js';
import { frameHash, rememberFrameHash } from '../similarity/frame-hash.js';
import { DEFAULT_MODEL } from '../paths.js';
import { writeSegments } from '../sinks/segments.js';
import { writeTimeline } from '../sinks/timeline.js';
import { runHeaderLine } from '../exports/run-file.js';
import { NavJoin } from '../runners/nav-join.js';
import { timelineRunHeader } from '../runners/timeline-header.js';
import type { FrameResult } from '../types.js';
import { readChunk } from './chunk-file.js';
import { doneMarker, workFolder, type ChunkReturn, type RecordingData } from './jobs.js';
import { applyJoin, findJoin, inferred, lastInferred, regroup } from './merge.js';
import { slotStart } from './plan.js';
import { ChunkInterrupted, runChunk } from './run-chunk.js';

export interface MergeReport {
  rows: number;
  timeline: string;
  segments: string;
  /** Chunks whose warm-up found no join and were run again from an earlier frame. */
  rerun: number;
}

export async function mergeRecording(data: RecordingData, chunks: readonly ChunkReturn[], signal?: AbortSignal): Promise<MergeReport> {
  const options = parseTimelineOptions(data.flags);
  const ordered = [...chunks].sort((a, b) => a.index - b.index);
  if (ordered.length !== data.chunks.length || ordered.some((c, i) => c.index !== i)) {
    throw new RovlensError(`${data.sourceId}: ${ordered.length} of ${data.chunks.length} chunk results are there`, ExitCode.internal);
  }
  let rerun = 0;
  let merged = readChunk(ordered[0]!.file);
  for (let k = 1; k < ordered.length; k++) {
    const plan = data.chunks[k]!;
    const next = readChunk(ordered[k]!.file);
    let join = findJoin(merged, next);
    if (!join) {
      const start = lastInferred(merged);
      if (!start) throw new RovlensError(`${data.sourceId}: chunk ${k} has nothing to join`, ExitCode.internal);
      const bridge = await rerunFrom(data, options, start, plan.decodeToSeconds, next, signal);
      const bridgeJoin = findJoin(merged, bridge);
      if (!bridgeJoin) throw new RovlensError(`${data.sourceId}: chunk ${k} run again does not join`, ExitCode.internal);
      merged = applyJoin(merged, bridge, bridgeJoin);
      // The bridge ran to the chunk's end when it never met the chunk: nothing of the chunk is left to add.
      join = findJoin(merged, next) ?? { keep: merged.length, from: next.length };
      rerun++;
    }
    merged = applyJoin(merged, next, join);
  }
  const named = (await regroup(merged)).map((r) => ({ ...r, frame: { ...r.frame, sourceId: data.sourceId } }));
  const paths = await writeOutputs(data, options, named);
  mkdirSync(join(data.out, '.rovlens-queue'), { recursive: true });
  const report = { rows: named.length, ...paths, rerun };
  writeFileSync(doneMarker(data.out, data.key), `${JSON.stringify({ input: data.sourceId, ...report })}\n`);
  rmSync(workFolder(data.out, data.key), { recursive: true, force: true });
  return report;
}

/**
 * Decodes from exactly `start` (its first frame goes to the model, as it did in the run), up to the
 * first frame that it and `next` both send to the model: from there `next` is right.
 */
async function rerunFrom(
  data: RecordingData,
  options: TimelineOptions,
  start: FrameResult,
  toSeconds: number | undefined,
  next: readonly FrameResult[],
  signal: AbortSignal | undefined,
): Promise<FrameResult[]> {
  const halfFrame = 0.5 / Math.max(1, data.fps);
  const pts = start.frame.ptsSeconds;
  const fromSeconds = options.every > 0 ? slotStart(pts, options.every) : Math.max(0, pts - halfFrame);
  const nextInferred = new Map(next.filter(inferred).map((r) => [r.frame.index, r.frame.ptsSeconds]));
  const met = new AbortController();
  const stop = () => met.abort();
  signal?.addEventListener('abort', stop);
  const rows: FrameResult[] = [];
  try {
    await runChunk(
      data.input,
      options,
      { fromSeconds, toSeconds },
      (r) => {
        rows.push(stripPixels(r));
        if (rows.length > 1 && inferred(r) && nextInferred.get(r.frame.index) === r.frame.ptsSeconds) met.abort();
      },
      met.signal,
    );
  } catch (error) {
    if (!(error instanceof ChunkInterrupted) || signal?.aborted) throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  return rows;
}

function stripPixels(result: FrameResult): FrameResult {
  const { cams: _cams, ...rest } = result;
  const frame = { ...result.frame, pixels: new Uint8Array(0) };
  rememberFrameHash(frame, defaultGrouping.hash, frameHash(result.frame, defaultGrouping.hash));
  return { ...rest, frame };
}

/** The files and names `rovlens timeline -o <out>/` gives this recording. */
async function writeOutputs(data: RecordingData, options: TimelineOptions, results: FrameResult[]) {
  const card = loadModelCard(options.model ?? DEFAULT_MODEL).card;
  const nav = NavJoin.open(options, () => true);
  const navFields = nav?.fields;
  // JSON lines open with the run header (what `rovlens export` and `report` read), as a timeline run's do.
  const runHeader =
    options.format === 'jsonl' ? runHeaderLine(await timelineRunHeader([data.input], options, card, nav, data.command)) : undefined;
  const ext = options.format === 'csv' ? '.csv' : '.jsonl';
  const timeline = join(data.out, `${data.stem}.timeline${ext}`);
  const segments = join(data.out, `${data.stem}.segments.csv`);
  await lastValueFrom(
    from(results).pipe(
      writeTimeline(timeline, card, options.format, { camAlso: options.camAlso, navFields, runHeader }),
      writeSegments(segments, Object.keys(card.heads), { minSegmentSeconds: options.minSegment, navFields }),
      defaultIfEmpty(undefined),
    ),
  );
  return { timeline, segments };
}
