/**
 * Projective warps of RGB HWC images, for the geometric part of augmentation (rotation, mirror,
 * perspective) in one resampling. Pure: typed arrays in and out.
 *
 * A homography here maps OUTPUT pixel centres to INPUT coordinates (inverse mapping), in pixel
 * units with the origin at the top-left corner of the top-left pixel.
 */

export type Homography = Float64Array; // row-major 3x3

/** Solves for H with H(dst[i]) = src[i] for four point pairs (direct linear transform, h33 = 1). */
export function homographyFromPoints(dst: readonly [number, number][], src: readonly [number, number][]): Homography {
  if (dst.length !== 4 || src.length !== 4) throw new Error('homographyFromPoints needs four point pairs');
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = dst[i]!;
    const [u, v] = src[i]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gaussian elimination with partial pivoting on the 8x9 augmented matrix.
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-12) throw new Error('homographyFromPoints: degenerate points');
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let c = col; c < 9; c++) a[r]![c]! -= f * a[col]![c]!;
    }
  }
  const h = new Float64Array(9);
  for (let i = 0; i < 8; i++) h[i] = a[i]![8]! / a[i]![i]!;
  h[8] = 1;
  return h;
}

export function applyHomography(h: Homography, x: number, y: number): [number, number] {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w];
}

/** Reflects a coordinate into [0, n - 1] (mirror padding, so no black borders enter the training set). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = Math.abs(i) % period;
  if (m > n - 1) m = period - m;
  return m;
}

/** Output has the same size as the input; bilinear sampling with mirrored borders. */
export function warpImage(pixels: Uint8Array, width: number, height: number, h: Homography): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = applyHomography(h, x + 0.5, y + 0.5);
      const fx = sx - 0.5;
      const fy = sy - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const ax = fx - x0;
      const ay = fy - y0;
      const xa = reflect(x0, width),
        xb = reflect(x0 + 1, width);
      const ya = reflect(y0, height),
        yb = reflect(y0 + 1, height);
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top = pixels[(ya * width + xa) * 3 + c]! * (1 - ax) + pixels[(ya * width + xb) * 3 + c]! * ax;
        const bottom = pixels[(yb * width + xa) * 3 + c]! * (1 - ax) + pixels[(yb * width + xb) * 3 + c]! * ax;
        out[o + c] = Math.round(top * (1 - ay) + bottom * ay);
      }
    }
  }
  return out;
}

export interface GeometricView {
  rotateDegrees: number;
  mirror: boolean;
  /** Displacement of each output corner (TL, TR, BR, BL) as fractions of width and height. */
  corners: [number, number][];
}

/** The homography of a view: corners displaced, then rotated about the centre, then mirrored. */
export function viewHomography(view: GeometricView, width: number, height: number): Homography {
  const cx = width / 2,
    cy = height / 2;
  const t = (view.rotateDegrees * Math.PI) / 180;
  const dst: [number, number][] = [
    [0, 0],
    [width, 0],
    [width, height],
    [0, height],
  ];
  const src = dst.map(([x, y], i): [number, number] => {
    const [dx, dy] = view.corners[i] ?? [0, 0];
    const px = x + dx * width - cx;
    const py = y + dy * height - cy;
    const rx = px * Math.cos(t) - py * Math.sin(t) + cx;
    const ry = px * Math.sin(t) + py * Math.cos(t) + cy;
    return [view.mirror ? width - rx : rx, ry];
  });
  return homographyFromPoints(dst, src);
}
