/**
 * Training views, as the datathon's winners augmented: lower resolution, crop zoom and shift (scale, translate),
 * rotation, mirror and perspective (one projective warp), then blur, brightness, contrast,
 * saturation, hue and JPEG re-compression with sharp. Every view is drawn from a generator seeded by
 * the image id, the view number and the run's seed, so a view is the same picture on every run
 * (which is also what lets the embedding cache work).
 */
import sharp from 'sharp';
import type { AugmentationRanges } from '../config/training.js';
import type { RelativeCrop } from '../geometry.js';
import type { Size } from '../types.js';
import { cropAndResize, jitteredCrop, rawSharp, toRaw, type RawImage } from './image-input.js';
import { hashSeed, seededRandom, uniform } from '../random.js';
import { viewHomography, warpImage, type GeometricView } from './warp.js';

export interface ViewParameters extends GeometricView {
  /** Shrink factor applied to the source first (1 = none): a lower-resolution camera or stream. */
  downscale: number;
  scale: number;
  shiftX: number;
  shiftY: number;
  /** 0 = no blur. */
  blurSigma: number;
  brightness: number;
  contrast: number;
  saturation: number;
  hueDegrees: number;
  /** 0 = no JPEG round trip. */
  jpegQuality: number;
}

export function drawView(ranges: AugmentationRanges, imageId: string, view: number, seed: number): ViewParameters {
  const random = seededRandom(hashSeed(imageId, seed * 7919 + view));
  const symmetric = (r: number) => uniform(random, -r, r);
  const p = ranges.perspectiveMax;
  return {
    downscale: random() < ranges.downscaleProbability ? uniform(random, ranges.downscaleMin, 1) : 1,
    scale: 1 + symmetric(ranges.scaleRange),
    shiftX: symmetric(ranges.translateFractionMax),
    shiftY: symmetric(ranges.translateFractionMax),
    rotateDegrees: symmetric(ranges.rotateDegreesMax),
    mirror: random() < ranges.mirrorProbability,
    corners: [0, 1, 2, 3].map((): [number, number] => [symmetric(p), symmetric(p)]),
    blurSigma: random() < ranges.blurProbability ? uniform(random, 0.3, Math.max(0.3, ranges.blurSigmaMax)) : 0,
    brightness: 1 + symmetric(ranges.brightnessRange),
    contrast: 1 + symmetric(ranges.contrastRange),
    saturation: 1 + symmetric(ranges.saturationRange),
    hueDegrees: symmetric(ranges.hueShiftDegreesMax),
    jpegQuality: random() < ranges.jpegProbability ? Math.round(uniform(random, ranges.jpegQualityMin, 95)) : 0,
  };
}

/** A stable text form of a view, for cache keys. */
export function viewKey(view: ViewParameters | undefined): string {
  if (!view) return 'clean';
  return JSON.stringify(view, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(5)) : v));
}

/** Source picture -> augmented model-sized picture. */
export async function augmentedInput(original: RawImage, crop: RelativeCrop, size: Size, view: ViewParameters): Promise<RawImage> {
  const source =
    view.downscale < 1
      ? await toRaw(
          rawSharp(original).resize(
            Math.max(8, Math.round(original.width * view.downscale)),
            Math.max(8, Math.round(original.height * view.downscale)),
            { fit: 'fill' },
          ),
        )
      : original;
  const region = jitteredCrop({ width: source.width, height: source.height }, crop, view.scale, view.shiftX, view.shiftY);
  const cut = await cropAndResize(source, region, size);
  const warped: RawImage = { ...cut, pixels: warpImage(cut.pixels, cut.width, cut.height, viewHomography(view, cut.width, cut.height)) };
  return photometric(warped, view);
}

export async function photometric(
  image: RawImage,
  view: Pick<ViewParameters, 'blurSigma' | 'brightness' | 'contrast' | 'saturation' | 'hueDegrees' | 'jpegQuality'>,
): Promise<RawImage> {
  let pipeline = rawSharp(image);
  if (view.blurSigma >= 0.3) pipeline = pipeline.blur(view.blurSigma);
  pipeline = pipeline.modulate({ brightness: view.brightness, saturation: view.saturation, hue: Math.round(view.hueDegrees) });
  // Contrast about mid-grey: out = c * (in - 128) + 128.
  if (view.contrast !== 1) pipeline = pipeline.linear(view.contrast, 128 * (1 - view.contrast));
  if (view.jpegQuality > 0) {
    const jpeg = await pipeline.jpeg({ quality: view.jpegQuality }).toBuffer();
    return toRaw(sharp(jpeg));
  }
  return toRaw(pipeline);
}
