/**
 * Perceptual colormaps as 256-entry RGB lookup tables (pure). Turbo (Google, 2019) and viridis
 * (matplotlib), both from their published polynomial fits, so no table ships. The viridis fit stays
 * within a few 1/255 of matplotlib's table; the turbo fit drifts up to ~30/255 at its very ends
 * (a darker blue and red), which is harmless for display.
 */
import type { ColormapName } from '../config/explain.js';

type Poly = readonly (readonly [number, number, number])[];

// Coefficients from the lowest power up, per channel (r, g, b).
const TURBO: Poly = [
  [0.13572138, 0.09140261, 0.1066733],
  [4.6153926, 2.19418839, 12.64194608],
  [-42.66032258, 4.84296658, -60.58204836],
  [132.13108234, -14.18503333, 110.36276771],
  [-152.94239396, 4.27729857, -89.90310912],
  [59.28637943, 2.82956604, 27.34824973],
];

const VIRIDIS: Poly = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

function table(poly: Poly): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let p = poly.length - 1; p >= 0; p--) v = v * t + poly[p]![c]!;
      lut[i * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return lut;
}

const tables: Partial<Record<ColormapName, Uint8Array>> = {};

/** RGB triplets for levels 0..255 (index level * 3). */
export function colormapTable(name: ColormapName): Uint8Array {
  return (tables[name] ??= table(name === 'turbo' ? TURBO : VIRIDIS));
}

/** The colour of a value in 0..1 (clamped). */
export function colorOf(name: ColormapName, value: number): [number, number, number] {
  const lut = colormapTable(name);
  const i = Math.round(Math.min(1, Math.max(0, value)) * 255) * 3;
  return [lut[i]!, lut[i + 1]!, lut[i + 2]!];
}
