/**
 * Labelled video frames as pictures training can read: each requested presentation time is decoded
 * by the project's ffmpeg source (src/sources/ffmpeg.ts), cut with the relative centre crop the
 * timeline classified it with (the same filter graph, so the same pixels), and kept as a lossless PNG
 * in a cache folder keyed by the video, the time and the crop, so a second training run decodes
 * nothing.
 *
 * Times that lie close together are decoded in one pass from a little before the first (ffmpeg's
 * accurate seek), so a group of frames a few seconds apart costs one short decode, not one per frame.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import sharp from 'sharp';
import { InputError } from '../errors.js';
import type { RelativeCrop } from '../geometry.js';
import { decodeVideo } from '../sources/ffmpeg.js';
import { probeVideo, type VideoInfo } from '../sources/probe.js';
import type { Frame } from '../types.js';

export interface FrameRequest {
  ptsSeconds: number;
  /** The crop the frame was classified with; none: the whole frame. */
  crop?: RelativeCrop;
}

/** Times further apart than this start a new decoding pass (a seek) instead of decoding through. */
const RUN_GAP_SECONDS = 4;
/** Decoding starts this much before the first wanted time, so seeking never lands after it. */
const LEAD_SECONDS = 0.5;

export const cropKey = (crop: RelativeCrop | undefined) => (crop ? `${crop.widthFraction}x${crop.heightFraction}` : 'full');

function framePath(cacheDir: string, video: string, request: FrameRequest): string {
  const stat = statSync(video);
  const key = createHash('sha1')
    .update(`${video}\0${stat.size}\0${stat.mtimeMs}\0${request.ptsSeconds.toFixed(3)}\0${cropKey(request.crop)}`)
    .digest('hex');
  return join(cacheDir, `${key}.png`);
}

/**
 * Returns the PNG path of each requested frame, in request order. A time with no frame within half a
 * frame interval (past the end, or a gap in a variable-rate file) is one clear error.
 */
export async function extractVideoFrames(video: string, requests: readonly FrameRequest[], cacheDir: string): Promise<string[]> {
  mkdirSync(cacheDir, { recursive: true });
  const paths = requests.map((r) => framePath(cacheDir, video, r));
  const missing = requests.map((_, i) => i).filter((i) => !existsSync(paths[i]!));
  if (!missing.length) return paths;

  const info = await probeVideo(video, { keyframes: false });
  // One decoding pass per crop and run of nearby times.
  const byCrop = new Map<string, number[]>();
  for (const i of missing) byCrop.set(cropKey(requests[i]!.crop), [...(byCrop.get(cropKey(requests[i]!.crop)) ?? []), i]);
  for (const indices of byCrop.values()) {
    const sorted = [...indices].sort((a, b) => requests[a]!.ptsSeconds - requests[b]!.ptsSeconds);
    let run: number[] = [];
    const flush = async () => {
      if (run.length) await decodeRun(video, info, run, requests, paths);
      run = [];
    };
    for (const i of sorted) {
      const last = run[run.length - 1];
      if (last !== undefined && requests[i]!.ptsSeconds - requests[last]!.ptsSeconds > RUN_GAP_SECONDS) await flush();
      run.push(i);
    }
    await flush();
  }
  return paths;
}

async function decodeRun(
  video: string,
  info: VideoInfo,
  run: readonly number[],
  requests: readonly FrameRequest[],
  paths: string[],
): Promise<void> {
  const interval = 1 / (info.fps || 30);
  const first = requests[run[0]!]!.ptsSeconds;
  const last = requests[run[run.length - 1]!]!.ptsSeconds;
  // From the file's start, no seek at all: exactly the timestamps a timeline run saw.
  const startSeconds = first - LEAD_SECONDS <= info.startSeconds ? 0 : first - LEAD_SECONDS;
  // Only the nearest frame to each wanted time is kept: a run over 4K video never holds more.
  const best = new Map<number, Frame>();
  await lastValueFrom(
    decodeVideo(video, {
      info,
      ...(startSeconds > 0 ? { startSeconds } : {}),
      endSeconds: last + interval * 1.5,
      ...(requests[run[0]!]!.crop ? { crop: requests[run[0]!]!.crop } : {}),
    }).pipe(
      tap((frame) => {
        for (const i of run) {
          const wanted = requests[i]!.ptsSeconds;
          const held = best.get(i);
          if (!held || Math.abs(frame.ptsSeconds - wanted) < Math.abs(held.ptsSeconds - wanted)) best.set(i, frame);
        }
      }),
    ),
    { defaultValue: undefined },
  );
  for (const i of run) {
    const wanted = requests[i]!.ptsSeconds;
    const frame = best.get(i);
    // Manifest times have 3 decimals: allow that rounding on top of half a frame.
    if (!frame || Math.abs(frame.ptsSeconds - wanted) > interval / 2 + 0.0015) {
      const duration = info.durationSeconds !== undefined ? ` (the video lasts ${info.durationSeconds.toFixed(3)} s)` : '';
      throw new InputError(`${video}: no frame at ${wanted.toFixed(3)} s${duration}: is the labels file from another recording?`);
    }
    // Written under a private name, then renamed: a run killed mid-write never leaves half a PNG.
    const partial = `${paths[i]!}.${process.pid}.partial`;
    await sharp(frame.pixels, { raw: { width: frame.width, height: frame.height, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toFile(partial);
    renameSync(partial, paths[i]!);
  }
}
