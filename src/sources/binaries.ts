/**
 * Which ffmpeg and ffprobe run: FFMPEG_PATH / FFPROBE_PATH (e.g. a system build with NVDEC), else the
 * static builds shipped in npm packages, so a fresh `npm install` needs nothing else.
 */
import { createRequire } from 'node:module';
import ffmpeg from 'fluent-ffmpeg';
import { ExitCode, RovlensError } from '../errors.js';

const require = createRequire(import.meta.url);

export function ffmpegPath(): string {
  return process.env.FFMPEG_PATH || (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

export function ffprobePath(): string {
  return process.env.FFPROBE_PATH || (require('@ffprobe-installer/ffprobe') as { path: string }).path;
}

let configured = false;
/** fluent-ffmpeg with our binaries; every ffmpeg process of the project is created here. */
export function fluent(input?: string | NodeJS.ReadableStream): ffmpeg.FfmpegCommand {
  if (!configured) {
    ffmpeg.setFfmpegPath(ffmpegPath());
    ffmpeg.setFfprobePath(ffprobePath());
    configured = true;
  }
  return input === undefined ? ffmpeg() : ffmpeg(input as string);
}

/**
 * A binary that cannot be started (not executable for this user, missing) is a set-up problem, not
 * a bad input: said as such, with what to do. Undefined for any other failure.
 */
export function binaryFailure(error: unknown, which: 'ffmpeg' | 'ffprobe'): RovlensError | undefined {
  const code = (error as NodeJS.ErrnoException)?.code ?? /spawn \S+ (EACCES|ENOENT|EPERM)/.exec(String((error as Error)?.message))?.[1];
  if (code !== 'EACCES' && code !== 'ENOENT' && code !== 'EPERM') return undefined;
  const path = which === 'ffmpeg' ? ffmpegPath() : ffprobePath();
  const why = code === 'ENOENT' ? 'is not there' : 'cannot be run by this user (not executable)';
  const variable = which === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  return new RovlensError(`${which} at ${path} ${why} (${code}); run chmod +x on it, or set ${variable} to another build`, ExitCode.internal);
}
