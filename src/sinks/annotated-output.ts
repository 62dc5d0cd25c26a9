/**
 * Where annotated JPEGs go: an H.264 video (ffmpeg reads the JPEGs from a pipe, so no frames touch
 * the disk) or a folder of JPEGs. Both close themselves; a failure is an OutputError in one line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { OutputError } from '../errors.js';
import { writeOutputFile } from './row-file.js';
import { fluent } from '../sources/binaries.js';

export interface AnnotatedWriter {
  write(jpeg: Buffer, name: string): Promise<void>;
  /** Finishes the file(s); resolves when they are complete on disk. */
  close(): Promise<void>;
  /** Stops without finishing (errors, Ctrl-C): what was written so far stays. */
  abort(): void;
  readonly written: number;
}

export const VIDEO_EXTENSIONS = ['.mp4', '.mkv', '.mov'] as const;

export function isVideoPath(path: string): boolean {
  return VIDEO_EXTENSIONS.some((ext) => path.toLowerCase().endsWith(ext));
}

export function videoWriter(path: string, fps: number): AnnotatedWriter {
  const input = new PassThrough();
  let failure: Error | undefined;
  let lastLine = '';
  const command = fluent(input)
    .inputFormat('image2pipe')
    .inputOptions(['-framerate', String(fps), '-vcodec', 'mjpeg'])
    .videoCodec('libx264')
    // x264 with yuv420p needs even sizes; players need the index at the front.
    .outputOptions([
      '-pix_fmt',
      'yuv420p',
      '-vf',
      'scale=trunc(iw/2)*2:trunc(ih/2)*2',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-movflags',
      '+faststart',
      '-y',
    ])
    .output(path)
    .on('stderr', (line: string) => {
      if (line.trim()) lastLine = line.trim();
    });
  const finished = new Promise<void>((resolve, reject) => {
    command.on('end', () => resolve());
    command.on('error', (error: Error) => {
      failure = new OutputError(`cannot write ${path}: ${lastLine || error.message.split('\n')[0]}`);
      input.destroy();
      reject(failure);
    });
  });
  finished.catch(() => undefined); // reported through write() / close()
  command.run();
  let written = 0;
  return {
    get written() {
      return written;
    },
    async write(jpeg) {
      if (failure) throw failure;
      written++;
      if (!input.write(jpeg)) await Promise.race([once(input, 'drain'), finished]);
      if (failure) throw failure;
    },
    async close() {
      input.end();
      await finished;
    },
    abort() {
      input.end();
    },
  };
}

export function folderWriter(folder: string): AnnotatedWriter {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new OutputError(`cannot create folder ${folder}: ${(error as Error).message}`);
  }
  let written = 0;
  return {
    get written() {
      return written;
    },
    async write(jpeg, name) {
      writeOutputFile(join(folder, name), jpeg);
      written++;
    },
    async close() {},
    abort() {},
  };
}
