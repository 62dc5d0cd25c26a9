/**
 * Image files (or folders of them, searched recursively) as Frames, so datasets go through the
 * same operators as video. Each image is decoded with sharp, turned upright from its EXIF
 * orientation, converted to 8-bit sRGB RGB, then optionally centre-cropped and resized:
 * `sourceSize` is the upright image's size and `region` the part of it the pixels show.
 * Frame.ptsSeconds is 0, `index` the position in the (sorted) list, `sourceId` the file path.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import fg from 'fast-glob';
import { concatMap, defer, from, Observable, EMPTY, catchError } from 'rxjs';
import sharp, { type OutputInfo } from 'sharp';
import { InputError } from '../errors.js';
import { relativeCenterCrop, type RelativeCrop } from '../geometry.js';
import type { Frame, Size } from '../types.js';

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'tif', 'tiff', 'gif', 'avif', 'heic'] as const;

/** Folders and image files are read as images; everything else goes to ffmpeg. */
export function isImageInput(path: string): boolean {
  if (existsSync(path) && statSync(path).isDirectory()) return true;
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(path).slice(1).toLowerCase());
}

export interface ReadImagesOptions {
  crop?: RelativeCrop;
  /** Resize (after the crop) to this size; aspect ratio is not kept, as for the model input. */
  outputSize?: Size;
  /** Called for an image that cannot be decoded; the others go on. Default: the stream fails. */
  onUnreadable?: (path: string, message: string) => void;
}

/** Folders expanded to their images (recursively, sorted), files kept in the given order. */
export async function listImages(pathsOrDir: string | readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (const path of typeof pathsOrDir === 'string' ? [pathsOrDir] : pathsOrDir) {
    if (!existsSync(path)) throw new InputError(`${path} does not exist`, 'missing');
    if (statSync(path).isDirectory()) {
      const pattern = `**/*.{${IMAGE_EXTENSIONS.flatMap((e) => [e, e.toUpperCase()]).join(',')}}`;
      const found = (await fg(pattern, { cwd: path, onlyFiles: true })).sort().map((p) => join(path, p));
      if (!found.length) throw new InputError(`${path} holds no images (${IMAGE_EXTENSIONS.join(', ')})`, 'missing');
      paths.push(...found);
    } else {
      paths.push(path);
    }
  }
  return paths;
}

export async function readImageFrame(path: string, index: number, options: ReadImagesOptions = {}): Promise<Frame> {
  let upright: { data: Buffer; info: OutputInfo };
  try {
    upright = await sharp(path).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new InputError(`${path} is not a readable image: ${(error as Error).message.split('\n')[0]}`);
  }
  const sourceSize = { width: upright.info.width, height: upright.info.height };
  const region = options.crop ? relativeCenterCrop(sourceSize, options.crop) : { x: 0, y: 0, ...sourceSize };
  const output = options.outputSize ?? { width: region.width, height: region.height };
  let pixels: Buffer = upright.data;
  if (
    region.width !== sourceSize.width ||
    region.height !== sourceSize.height ||
    output.width !== region.width ||
    output.height !== region.height
  ) {
    pixels = await sharp(upright.data, { raw: { width: sourceSize.width, height: sourceSize.height, channels: 3 } })
      .extract({ left: region.x, top: region.y, width: region.width, height: region.height })
      .resize(output.width, output.height, { fit: 'fill' })
      .raw()
      .toBuffer();
  }
  return {
    sourceId: path,
    index,
    ptsSeconds: 0,
    width: output.width,
    height: output.height,
    pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength),
    sourceSize,
    region,
  };
}

/** One frame per image, in order, one image decoded at a time (bounded memory for large folders). */
export function readImages(pathsOrDir: string | readonly string[], options: ReadImagesOptions = {}): Observable<Frame> {
  return defer(() => from(listImages(pathsOrDir))).pipe(
    concatMap((paths) => from(paths.map((path, index) => ({ path, index })))),
    concatMap(({ path, index }) =>
      defer(() => readImageFrame(path, index, options)).pipe(
        catchError((error: unknown) => {
          if (!options.onUnreadable) throw error;
          options.onUnreadable(path, (error as Error).message);
          return EMPTY;
        }),
      ),
    ),
  );
}
