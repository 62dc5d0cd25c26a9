import { concatMap, type OperatorFunction } from 'rxjs';
import sharp from 'sharp';
import { relativeCenterCrop, type RelativeCrop } from '../geometry.js';
import type { Frame, Size } from '../types.js';

/**
 * The relative centre crop and the resize to the model's input, on frames that arrive full size
 * (image folders, live frames kept whole for rendering). Region bookkeeping composes: cropping a frame
 * that already shows part of the source narrows `region` accordingly.
 */
export function cropResize(crop: RelativeCrop, size: Size): OperatorFunction<Frame, Frame> {
  return concatMap((frame) => cropResizeFrame(frame, crop, size));
}

export async function cropResizeFrame(frame: Frame, crop: RelativeCrop, size: Size): Promise<Frame> {
  const rect = relativeCenterCrop(frame, crop);
  const { data } = await sharp(frame.pixels, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height })
    .resize(size.width, size.height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const sx = frame.region.width / frame.width;
  const sy = frame.region.height / frame.height;
  return {
    ...frame,
    width: size.width,
    height: size.height,
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    region: {
      x: frame.region.x + rect.x * sx,
      y: frame.region.y + rect.y * sy,
      width: rect.width * sx,
      height: rect.height * sy,
    },
  };
}
