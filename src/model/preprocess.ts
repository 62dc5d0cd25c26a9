/**
 * Frames (RGB, HWC, 0..255) to the model's input tensor (NCHW float32), following the card's
 * channel order and scaling. Frames must already be at the model's input size: the crop-and-resize
 * operator (or ffmpeg's filter graph) does that.
 */
import type { Frame } from '../types.js';
import { channelAffine, type ModelCard } from './card.js';

export function framesToTensor(
  frames: readonly Frame[],
  card: ModelCard,
): {
  data: Float32Array;
  dims: [number, number, number, number];
} {
  const { width, height } = card.input;
  const plane = width * height;
  const data = new Float32Array(frames.length * 3 * plane);
  const { scale, offset } = channelAffine(card);
  // Source channel feeding each tensor channel: RGB keeps order, BGR swaps R and B.
  const from = card.input.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  frames.forEach((frame, n) => {
    if (frame.width !== width || frame.height !== height) {
      throw new Error(`frame ${frame.index} is ${frame.width}x${frame.height}; the model needs ${width}x${height} (crop and resize first)`);
    }
    const px = frame.pixels;
    for (let c = 0; c < 3; c++) {
      const s = scale[c]!;
      const o = offset[c]!;
      const src = from[c]!;
      const base = (n * 3 + c) * plane;
      for (let i = 0; i < plane; i++) data[base + i] = px[i * 3 + src]! * s + o;
    }
  });
  return { data, dims: [frames.length, 3, height, width] };
}
