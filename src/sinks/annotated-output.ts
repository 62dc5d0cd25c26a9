/**
 * Where annotated JPEGs go: an H.264 video (ffmpeg reads the JPEGs from a pipe, so no frames touch
 * the disk) or a folder of JPEGs. Both close themselves; a failure is an OutputError in one line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { OutputError } from '../errors.js';
import { PartialFile } from './partial-file.js';
import { writeOutputFile } from './row-file.js';
import { fluent } from '../sources/binaries.js';

export interface AnnotatedWriter {
  write(jpeg: Buffer, name: string): Promise<void>;
  /** Finishes the file(s); resolves when they are complete on disk. */
  close(): Promise<void>;
  /** Stops without finishing (errors): the encoder is stopped and an existing file is left as it was. */
  abort(): void;
  readonly written: number;
}

export const VIDEO_EXTENSIONS = ['.mp4', '.mkv', '.mov'] as const;

export function isVideoPath(path: string): boolean {
  return VIDEO_EXTENSIONS.some((ext) => path.toLowerCase().endsWith(ext));
}

export function videoWriter(path: string, fps: number): AnnotatedWriter {
  // Encoded beside the target and renamed over it when ffmpeg has finished the file.
  const partial = new PartialFile(path);
  const input = new PassThrough();
  let failure: Error | undefined;
  let aborted = false;
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
      // (and at least 2: a 4001x3 picture shown 1280 wide is 1 pixel high).
      "scale='max(2,trunc(iw/2)*2)':'max(2,trunc(ih/2)*2)'",
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-movflags',
      '+faststart',
      '-y',
    ])
    .output(partial.writePath)
    // Aborted before ffmpeg had started: stop it as soon as it has.
    .on('start', () => aborted && command.kill('SIGKILL'))
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
      try {
        await finished;
      } catch (error) {
        partial.discard();
        throw error;
      }
      partial.commit();
    },
    abort() {
      // A failed run leaves an existing file as it was, and no encoder behind.
      aborted = true;
      input.destroy();
      command.kill('SIGKILL');
      partial.discard();
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
