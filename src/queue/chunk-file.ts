/**
 * A chunk's results on shared storage, one JSON object per line: everything the timeline and segments
 * sinks read from a FrameResult, and the embedding the grouping compares (not the pixels or raw
 * heatmaps), at full precision, so the merge groups and writes exactly what a single run would. Written under a private
 * name and renamed into place when the chunk is complete: a worker killed part-way leaves no file
 * that looks finished.
 */
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { defaultGrouping } from '../config/grouping.js';
import { frameHash, rememberFrameHash } from '../similarity/frame-hash.js';
import { RowFile } from '../sinks/row-file.js';
import type { FrameResult } from '../types.js';

interface StoredResult extends Omit<FrameResult, 'frame' | 'heads' | 'embedding' | 'cams'> {
  frame: Omit<FrameResult['frame'], 'pixels' | 'decodedAtMs'>;
  heads: Record<string, Omit<FrameResult['heads'][string], 'probabilities'> & { probabilities: number[] }>;
  /** Float32 little-endian bytes, base64. */
  embedding?: string;
  /** The frame's hash as the grouping compares it, whole (the timeline's `hash` keeps 64 of its bits). */
  frameHash: string;
}

export function storeResult(result: FrameResult): StoredResult {
  const { frame, heads, localisation, extraLocalisations, group, nav, embedding } = result;
  const { pixels: _pixels, decodedAtMs: _decodedAt, ...frameFields } = frame;
  return {
    frame: frameFields,
    frameHash: frameHash(frame, defaultGrouping.hash).toString(16),
    ...(embedding ? { embedding: Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength).toString('base64') } : {}),
    heads: Object.fromEntries(Object.entries(heads).map(([name, p]) => [name, { ...p, probabilities: Array.from(p.probabilities) }])),
    ...(localisation ? { localisation } : {}),
    ...(extraLocalisations ? { extraLocalisations } : {}),
    ...(group ? { group } : {}),
    ...(nav ? { nav } : {}),
  };
}

export function loadResult(stored: StoredResult): FrameResult {
  const { embedding, frameHash: hash, ...rest } = stored;
  const frame = { ...stored.frame, pixels: new Uint8Array(0) };
  // The pixels are gone: the grouping stage gets the hash it would have computed from them.
  rememberFrameHash(frame, defaultGrouping.hash, BigInt(`0x${hash}`));
  return {
    ...rest,
    ...(embedding !== undefined ? { embedding: bytesToFloats(Buffer.from(embedding, 'base64')) } : {}),
    frame,
    heads: Object.fromEntries(
      Object.entries(stored.heads).map(([name, p]) => [name, { ...p, probabilities: Float32Array.from(p.probabilities) }]),
    ),
  };
}

/** Collects a chunk's results into `path`; `commit` makes the file visible, `discard` removes the partial one. */
export class ChunkWriter {
  private readonly partialPath: string;
  private readonly file: RowFile;
  rows = 0;

  constructor(
    readonly path: string,
    attempt: string,
  ) {
    this.partialPath = `${path}.${attempt}.partial`;
    this.file = RowFile.open(this.partialPath);
  }

  write(result: FrameResult): void {
    this.file.write(`${JSON.stringify(storeResult(result))}\n`);
    this.rows++;
  }

  commit(): void {
    this.file.close();
    renameSync(this.partialPath, this.path);
  }

  discard(): void {
    this.file.close();
    rmSync(this.partialPath, { force: true });
  }
}

export function readChunk(path: string): FrameResult[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line)
    .map((line) => loadResult(JSON.parse(line) as StoredResult));
}

function bytesToFloats(bytes: Buffer): Float32Array {
  const floats = new Float32Array(bytes.length / 4);
  new Uint8Array(floats.buffer).set(bytes);
  return floats;
}
