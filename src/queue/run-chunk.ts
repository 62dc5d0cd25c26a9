/**
 * The one place the queue calls the timeline run: a worker runs a chunk of a recording through the
 * same code as `rovlens timeline` (model, pipeline, nav join), with its rows going to the chunk file
 * instead of the timeline sinks.
 */
import { devNull } from 'node:os';
import { runTimeline } from '../runners/timeline.js';
import type { TimelineOptions } from '../config/timeline.js';
import { ExitCode, RovlensError } from '../errors.js';
import type { FrameResult } from '../types.js';

export interface ChunkRange {
  /** Decode from here (0: from the start, exactly as a single run). */
  fromSeconds: number;
  /** Decode up to here; undefined: to the end of the recording. */
  toSeconds?: number;
}

export class ChunkInterrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** Runs `input` over `range`; each result goes to `onResult`. Throws the run's own error when it fails. */
export async function runChunk(
  input: string,
  options: TimelineOptions,
  range: ChunkRange,
  onResult: (result: FrameResult) => void,
  signal?: AbortSignal,
): Promise<void> {
  let failure: unknown;
  const code = await runTimeline(
    [input],
    {
      ...options,
      start: range.fromSeconds > 0 ? range.fromSeconds : undefined,
      end: range.toSeconds,
      output: devNull,
      segments: undefined,
      geojson: undefined,
      quiet: true,
      format: 'csv',
    },
    { onResult, onError: (error) => (failure ??= error), signal },
  );
  if (code === ExitCode.interrupted) throw new ChunkInterrupted();
  if (failure) throw failure;
  if (code !== ExitCode.ok) throw new RovlensError(`the timeline run of ${input} ended with exit code ${code}`, ExitCode.internal);
}
