/**
 * The perturbations of `rovlens evaluate --robustness`. Each is applied to the whole source picture,
 * before the model's crop, as a camera, a codec or the water would change it.
 */
import sharp from 'sharp';
import type { RobustnessSettings } from '../config/training.js';
import { rawSharp, toRaw, type RawImage } from './image-input.js';

export interface Perturbation {
  name: string;
  description: string;
  apply: (image: RawImage) => Promise<RawImage>;
}

export function perturbations(settings: RobustnessSettings): Perturbation[] {
  const f = settings.brightnessContrastFraction;
  const pct = Math.round(f * 100);
  // Brightness scales the pixel values; contrast scales their distance from mid-grey.
  const brightness = (gain: number) => async (image: RawImage) => toRaw(rawSharp(image).linear(gain, 0));
  const contrast = (gain: number) => async (image: RawImage) => toRaw(rawSharp(image).linear(gain, 128 * (1 - gain)));
  return [
    {
      name: 'downscale',
      description: `downscaled to ${settings.downscaleHeightPx} lines (at least halved: most images are already smaller)`,
      apply: async (image) => {
        const factor = Math.min(settings.downscaleHeightPx / image.height, 0.5);
        const width = Math.max(8, Math.round(image.width * factor));
        const height = Math.max(8, Math.round(image.height * factor));
        return toRaw(rawSharp(image).resize(width, height, { fit: 'fill' }));
      },
    },
    {
      name: `jpeg${settings.jpegQuality}`,
      description: `JPEG quality ${settings.jpegQuality}`,
      apply: async (image) => toRaw(sharp(await rawSharp(image).jpeg({ quality: settings.jpegQuality }).toBuffer())),
    },
    {
      name: 'blur',
      description: `Gaussian blur, sigma ${settings.blurSigma} px at 480 lines (scaled with the picture)`,
      apply: async (image) => toRaw(rawSharp(image).blur(Math.max(0.3, (settings.blurSigma * image.height) / 480))),
    },
    { name: `bright+${pct}`, description: `brightness +${pct} % (values x ${1 + f})`, apply: brightness(1 + f) },
    { name: `bright-${pct}`, description: `brightness -${pct} % (values x ${1 - f})`, apply: brightness(1 - f) },
    { name: `contrast+${pct}`, description: `contrast +${pct} % (about mid-grey)`, apply: contrast(1 + f) },
    { name: `contrast-${pct}`, description: `contrast -${pct} % (about mid-grey)`, apply: contrast(1 - f) },
    {
      name: `hue+${settings.hueShiftDegrees}`,
      description: `hue rotated by ${settings.hueShiftDegrees} degrees`,
      apply: async (image) => toRaw(rawSharp(image).modulate({ hue: settings.hueShiftDegrees })),
    },
    {
      name: 'rov-bars',
      description: `dark metal bars over the left and right ${Math.round(settings.barWidthFraction * 100)} % of the width`,
      apply: async (image) => ({ ...image, pixels: paintBars(image, settings.barWidthFraction) }),
    },
  ];
}

/**
 * Synthetic ROV structure: near-black vertical bars with a brighter rim and a horizontal
 * gradient, as the frame of a camera cage looks.
 */
export function paintBars(image: RawImage, widthFraction: number): Uint8Array {
  const out = image.pixels.slice();
  const bar = Math.max(1, Math.round(image.width * widthFraction));
  for (let y = 0; y < image.height; y++) {
    for (let i = 0; i < bar; i++) {
      // i = 0 at the picture's edge; a lighter rim on the inner side.
      const rim = i >= bar - Math.max(1, Math.round(bar * 0.12));
      const level = rim ? 95 : 25 + Math.round((30 * i) / bar);
      for (const x of [i, image.width - 1 - i]) {
        const o = (y * image.width + x) * 3;
        out[o] = level;
        out[o + 1] = level + 3;
        out[o + 2] = level + 6;
      }
    }
  }
  return out;
}
