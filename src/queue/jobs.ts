/**
 * The queue's jobs. One BullMQ flow per recording: a `merge` parent whose children are the
 * recording's `chunk` jobs. Job data holds paths and flags only; results are files in the output
 * folder (shared storage), never payloads in Redis.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChunkPlan } from './plan.js';

export const CHUNK_JOB = 'chunk';
export const MERGE_JOB = 'merge';

/** The timeline flags of a recording, as given (re-validated by each worker with the timeline schema). */
export type TimelineFlags = Record<string, unknown>;

export interface RecordingData {
  /** Absolute path every worker reads the recording from. */
  input: string;
  /** The recording as the user named it: the timeline's `source` column, as `rovlens timeline` writes it. */
  sourceId: string;
  /** Output folder (absolute) and the recording's file stem in it. */
  out: string;
  stem: string;
  flags: TimelineFlags;
  chunks: ChunkPlan[];
  durationSeconds?: number;
  fps: number;
  key: string;
  /** The `queue add` command line, for the run header of JSON lines output. */
  command: string[];
}

export interface ChunkData {
  input: string;
  flags: TimelineFlags;
  chunk: ChunkPlan;
  /** Where the chunk's results go (see chunk-file.ts). */
  file: string;
  /** The recording's span, for progress. */
  durationSeconds?: number;
}

export interface ChunkReturn {
  index: number;
  file: string;
  rows: number;
}

/** Work files of a recording: `<out>/.rovlens-queue/<key>/`. */
export function workFolder(out: string, key: string): string {
  return join(out, '.rovlens-queue', key);
}

/** Written by the merge when the recording's files are complete: adding the recording again does nothing. */
export function doneMarker(out: string, key: string): string {
  return join(out, '.rovlens-queue', `${key}.done.json`);
}

const SAMPLE_BYTES = 1 << 20;

/**
 * A recording's identity: its size and its first and last MiB (not its path, so the same file under
 * another mount or name is the same recording), with the flags and the output it is run for.
 */
export function recordingKey(input: string, flags: TimelineFlags, out: string, stem: string): string {
  const hash = createHash('sha256');
  const { size } = statSync(input);
  hash.update(`size ${size}\n`);
  const fd = openSync(input, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(SAMPLE_BYTES, size));
    readSync(fd, buffer, 0, buffer.length, 0);
    hash.update(buffer);
    if (size > SAMPLE_BYTES) {
      const tail = Buffer.alloc(Math.min(SAMPLE_BYTES, size - SAMPLE_BYTES));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
  } finally {
    closeSync(fd);
  }
  const sortedFlags = Object.fromEntries(Object.entries(flags).sort(([a], [b]) => a.localeCompare(b)));
  hash.update(JSON.stringify({ flags: sortedFlags, out, stem }));
  return hash.digest('hex').slice(0, 32);
}

export const chunkJobId = (key: string, index: number) => `${key}-chunk-${index}`;
export const mergeJobId = (key: string) => `${key}-merge`;
