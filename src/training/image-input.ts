/**
 * Still images to model-sized frames, cut exactly as the video pipeline cuts frames: the card's
 * relative centre crop (src/geometry.ts) on the source picture, then a resize to the model's input.
 * Images are decoded once to raw RGB so that perturbations, crop jitter and augmentation all work
 * on the same pixels.
 */
import sharp, { type Sharp } from 'sharp';
import { InputError } from '../errors.js';
import { relativeCenterCrop, type RelativeCrop } from '../geometry.js';
import type { Frame, Rect, Size } from '../types.js';

/** RGB, 8 bits, HWC. */
export interface RawImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

export async function decodeImage(path: string): Promise<RawImage> {
  try {
    // rotate() applies the EXIF orientation, as viewers show the picture.
    const { data, info } = await sharp(path).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (error) {
    throw new InputError(`cannot decode image ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
}

export function rawSharp(image: RawImage): Sharp {
  return sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } });
}

export async function toRaw(pipeline: Sharp): Promise<RawImage> {
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * The centre crop, optionally zoomed (`scale` > 1 shows less) and shifted (fractions of the crop's
 * size), kept inside the picture.
 */
export function jitteredCrop(size: Size, crop: RelativeCrop, scale = 1, shiftX = 0, shiftY = 0): Rect {
  const base = relativeCenterCrop(size, crop);
  if (scale === 1 && shiftX === 0 && shiftY === 0) return base;
  const width = Math.max(1, Math.min(size.width, Math.round(base.width / scale)));
  const height = Math.max(1, Math.min(size.height, Math.round(base.height / scale)));
  const cx = base.x + base.width / 2 + shiftX * base.width;
  const cy = base.y + base.height / 2 + shiftY * base.height;
  const x = Math.min(size.width - width, Math.max(0, Math.round(cx - width / 2)));
  const y = Math.min(size.height - height, Math.max(0, Math.round(cy - height / 2)));
  return { x, y, width, height };
}

export async function cropAndResize(image: RawImage, region: Rect, size: Size): Promise<RawImage> {
  return toRaw(
    rawSharp(image)
      .extract({ left: region.x, top: region.y, width: region.width, height: region.height })
      .resize(size.width, size.height, { fit: 'fill' }),
  );
}

export function imageFrame(image: RawImage, sourceId: string, index: number, sourceSize: Size, region: Rect): Frame {
  return { sourceId, index, ptsSeconds: 0, width: image.width, height: image.height, pixels: image.pixels, sourceSize, region };
}
