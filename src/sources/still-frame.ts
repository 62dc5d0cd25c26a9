/**
 * One picture from a recording at a given time, as PNG bytes, for thumbnails. ffmpeg seeks to the
 * nearest keyframe before the time and decodes up to it, so the picture is the frame shown at that
 * time (times are from the start of the input, as `Frame.ptsSeconds` is).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { ffmpegPath } from './binaries.js';

const run = promisify(execFile);

/** `widthPx` caps the picture's width (ffmpeg scales it down there, so a 4K frame never crosses the pipe whole). */
export async function stillFrame(input: string, ptsSeconds: number, widthPx: number): Promise<Buffer> {
  // Times in run files are rounded to the millisecond: start half a millisecond early so the
  // rounded-up time of a frame still lands on that frame, not the next.
  const seek = Math.max(0, ptsSeconds - 0.0005).toFixed(4);
  const args = [
    '-nostdin',
    '-v',
    'error',
    '-ss',
    seek,
    '-i',
    input,
    '-frames:v',
    '1',
    '-vf',
    `scale='min(${widthPx},iw)':-2`,
    '-f',
    'image2pipe',
    '-c:v',
    'png',
    '-',
  ];
  try {
    const { stdout } = await run(ffmpegPath(), args, { encoding: 'buffer', maxBuffer: 64 << 20 });
    if (!stdout.length) throw new Error(`no frame at ${seek} s`);
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '')
      .trim()
      .split('\n')
      .pop();
    throw new InputError(`cannot take a picture from ${input} at ${seek} s: ${stderr || (error as Error).message}`);
  }
}
