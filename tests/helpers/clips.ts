/**
 * Test clips generated offline by ffmpeg's lavfi sources, cached under tests/.tmp so a suite run
 * encodes each once. `testsrc2` draws a moving pattern, so consecutive frames differ.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ffmpegPath } from '../../src/sources/binaries.js';

export const TMP = resolve(import.meta.dirname, '../.tmp');
export const SAMPLES = resolve(import.meta.dirname, '../../samples');

export interface ClipSpec {
  width: number;
  height: number;
  seconds: number;
  fps: number;
  /** Encoder and container arguments; the file extension comes from `ext`. */
  codec: string[];
  ext: string;
  /** Extra output arguments (e.g. a VFR timestamp filter). */
  filters?: string;
}

export const CODECS = {
  h264: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
  h265: ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=25', '-pix_fmt', 'yuv420p'],
  // 4:4:4 so odd sizes (853x479) survive: 4:2:0 encoders round them down to even.
  vp9: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k', '-g', '25', '-pix_fmt', 'yuv444p'],
  mjpeg: ['-c:v', 'mjpeg', '-q:v', '5', '-pix_fmt', 'yuvj420p'],
};

export function ffmpeg(args: string[]): void {
  const result = spawnSync(ffmpegPath(), ['-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${result.stderr}`);
}

export function makeClip(name: string, spec: ClipSpec): string {
  mkdirSync(join(TMP, 'clips'), { recursive: true });
  // The spec is part of the name, so a changed spec never reuses an old clip.
  const key = createHash('sha1').update(JSON.stringify(spec)).digest('hex').slice(0, 8);
  const path = join(TMP, 'clips', `${name}-${key}.${spec.ext}`);
  if (existsSync(path)) return path;
  // testsrc2 rounds sizes down to even; testsrc (RGB) keeps odd sizes like 853x479.
  const generator = spec.width % 2 || spec.height % 2 ? 'testsrc' : 'testsrc2';
  const source = `${generator}=size=${spec.width}x${spec.height}:rate=${spec.fps}:duration=${spec.seconds}`;
  // Test files run in parallel: write under a private name, then rename into place atomically.
  const partial = join(TMP, 'clips', `${name}.${process.pid}.partial.${spec.ext}`);
  ffmpeg(['-f', 'lavfi', '-i', source, ...(spec.filters ? ['-vf', spec.filters] : []), ...spec.codec, partial]);
  renameSync(partial, path);
  return path;
}

export function tmpFile(name: string): string {
  mkdirSync(TMP, { recursive: true });
  return join(TMP, name);
}
