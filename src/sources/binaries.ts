/**
 * Which ffmpeg and ffprobe run: FFMPEG_PATH / FFPROBE_PATH (e.g. a system build with NVDEC), else the
 * static builds shipped in npm packages, so a fresh `npm install` needs nothing else.
 */
import { createRequire } from 'node:module';
import ffmpeg from 'fluent-ffmpeg';

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
