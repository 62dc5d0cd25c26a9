/**
 * Perceptual hashes of RGB frames (HWC, 8 bits a channel), 64 bits each, as bigint (pHash adds a
 * 64-bit reliability mask above them; compare any two hashes with `hashDistance`).
 * Both work on a small luma grid made by averaging the frame's area cells, so they ignore
 * JPEG noise and sensor noise; both ignore a global brightness offset (dHash compares
 * neighbours, pHash drops the DC term), which matters for drifting underwater exposure.
 */

/** Luma (BT.601 weights) averaged over a gridWidth x gridHeight partition of the frame, row-major. */
export function lumaGrid(pixels: Uint8Array, width: number, height: number, gridWidth: number, gridHeight: number): Float32Array {
  if (pixels.length < width * height * 3)
    throw new RangeError(`pixels hold ${pixels.length} bytes; ${width}x${height} RGB needs ${width * height * 3}`);
  const grid = new Float32Array(gridWidth * gridHeight);
  // About 8x8 samples a cell (at least one pixel apart): enough to average out noise, and a 4K or
  // 512x512 frame then costs about what a small one does (pHash's 32x32 grid stays under 1 ms).
  const stepX = Math.max(1, Math.floor(width / gridWidth / 8));
  const stepY = Math.max(1, Math.floor(height / gridHeight / 8));
  for (let gy = 0; gy < gridHeight; gy++) {
    // Cell bounds are half-open [y0, y1), [x0, x1); cells tile the frame exactly.
    const y0 = Math.floor((gy * height) / gridHeight);
    const y1 = Math.max(y0 + 1, Math.floor(((gy + 1) * height) / gridHeight));
    for (let gx = 0; gx < gridWidth; gx++) {
      const x0 = Math.floor((gx * width) / gridWidth);
      const x1 = Math.max(x0 + 1, Math.floor(((gx + 1) * width) / gridWidth));
      let sum = 0;
      let count = 0;
      for (let y = y0; y < y1; y += stepY) {
        let i = (y * width + x0) * 3;
        for (let x = x0; x < x1; x += stepX, i += stepX * 3) {
          sum += 299 * pixels[i]! + 587 * pixels[i + 1]! + 114 * pixels[i + 2]!;
          count++;
        }
      }
      grid[gy * gridWidth + gx] = sum / (count * 1000);
    }
  }
  return grid;
}

/** Difference hash: bit (row * 8 + col) is set when luma grows from column col to col + 1 of a 9x8 grid. */
export function dHash(pixels: Uint8Array, width: number, height: number): bigint {
  const g = lumaGrid(pixels, width, height, 9, 8);
  let hi = 0;
  let lo = 0;
  for (let row = 0; row < 8; row++) {
    for (let col = 0; col < 8; col++) {
      const bit = row * 8 + col;
      if (g[row * 9 + col + 1]! > g[row * 9 + col]!) {
        if (bit < 32) lo |= 1 << bit;
        else hi |= 1 << (bit - 32);
      }
    }
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

const DCT_SIZE = 32;
const DCT_KEEP = 8;
/** Rows 0..7 of the orthonormal DCT-II matrix for 32 samples, [u * 32 + x]. */
const DCT_ROWS = (() => {
  const m = new Float64Array(DCT_KEEP * DCT_SIZE);
  for (let u = 0; u < DCT_KEEP; u++) {
    const scale = u === 0 ? Math.sqrt(1 / DCT_SIZE) : Math.sqrt(2 / DCT_SIZE);
    for (let x = 0; x < DCT_SIZE; x++) m[u * DCT_SIZE + x] = scale * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * DCT_SIZE));
  }
  return m;
})();

/**
 * Perceptual hash: 8x8 lowest DCT frequencies of a 32x32 luma grid, each bit = coefficient above
 * the median (DC excluded from the median). Bits 64..127 are a reliability mask: set where the
 * coefficient lies at least one median absolute deviation from the median. On low-contrast, noisy
 * footage (turbid water, old ROV video) many coefficients sit near the median and flip with noise;
 * `hashDistance` ignores bits unreliable in both frames, which keeps hovering frames together
 * (measured in bench/grouping.ts and on the JAMSTEC clip) while distinct scenes stay far apart.
 */
export function pHash(pixels: Uint8Array, width: number, height: number): bigint {
  const g = lumaGrid(pixels, width, height, DCT_SIZE, DCT_SIZE);
  // Separable DCT, keeping only the 8 lowest frequencies on each axis: rows first, then columns.
  const rows = new Float64Array(DCT_SIZE * DCT_KEEP); // [y * 8 + v]
  for (let y = 0; y < DCT_SIZE; y++) {
    for (let v = 0; v < DCT_KEEP; v++) {
      let s = 0;
      for (let x = 0; x < DCT_SIZE; x++) s += DCT_ROWS[v * DCT_SIZE + x]! * g[y * DCT_SIZE + x]!;
      rows[y * DCT_KEEP + v] = s;
    }
  }
  const coef = new Float64Array(DCT_KEEP * DCT_KEEP); // [u * 8 + v]
  for (let u = 0; u < DCT_KEEP; u++) {
    for (let v = 0; v < DCT_KEEP; v++) {
      let s = 0;
      for (let y = 0; y < DCT_SIZE; y++) s += DCT_ROWS[u * DCT_SIZE + y]! * rows[y * DCT_KEEP + v]!;
      coef[u * DCT_KEEP + v] = s;
    }
  }
  const sorted = Array.from(coef.subarray(1)).sort((a, b) => a - b);
  const median = (sorted[30]! + sorted[31]! + sorted[32]!) / 3;
  const deviations = Array.from(coef.subarray(1), (c) => Math.abs(c - median)).sort((a, b) => a - b);
  const mad = deviations[31]!;
  let hi = 0;
  let lo = 0;
  let maskHi = 0;
  let maskLo = 0;
  for (let bit = 1; bit < 64; bit++) {
    const c = coef[bit]!;
    const strong = mad > 0 && Math.abs(c - median) >= mad;
    if (bit < 32) {
      if (c > median) lo |= 1 << bit;
      if (strong) maskLo |= 1 << bit;
    } else {
      if (c > median) hi |= 1 << (bit - 32);
      if (strong) maskHi |= 1 << (bit - 32);
    }
  }
  const bits = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const mask = (BigInt(maskHi >>> 0) << 32n) | BigInt(maskLo >>> 0);
  return (mask << 64n) | bits;
}

const LOW64 = 0xffffffffffffffffn;

/**
 * Distance between two hashes in bits of 64. Plain 64-bit hashes (dHash): the Hamming distance.
 * Masked hashes (pHash): differing bits among those reliable in either hash, scaled to 64, so
 * thresholds read the same for both methods. A bit unreliable in both (its coefficient near the
 * median in both pictures) says nothing and is left out.
 */
export function hashDistance(a: bigint, b: bigint): number {
  const maskA = a >> 64n;
  const maskB = b >> 64n;
  if (maskA === 0n || maskB === 0n) return hamming(a & LOW64, b & LOW64);
  const either = maskA | maskB;
  return Math.round((popcount64((a ^ b) & either) * 64) / popcount64(either));
}

function popcount64(x: bigint): number {
  return popcount32(Number(x & 0xffffffffn)) + popcount32(Number((x >> 32n) & 0xffffffffn));
}

/** The 64 hash bits without any reliability mask, for display and CSVs. */
export function hashBits64(hash: bigint): bigint {
  return hash & LOW64;
}

export type HashMethod = 'dhash' | 'phash';

export function perceptualHash(method: HashMethod, pixels: Uint8Array, width: number, height: number): bigint {
  return method === 'phash' ? pHash(pixels, width, height) : dHash(pixels, width, height);
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Number of differing bits between two 64-bit hashes. */
export function hamming(a: bigint, b: bigint): number {
  const x = a ^ b;
  return popcount32(Number(x & 0xffffffffn)) + popcount32(Number((x >> 32n) & 0xffffffffn));
}

/** Hamming distance of hashes stored as (hi, lo) uint32 pairs: the fast path for all-pairs work. */
export function hamming32(aHi: number, aLo: number, bHi: number, bLo: number): number {
  return popcount32((aHi ^ bHi) >>> 0) + popcount32((aLo ^ bLo) >>> 0);
}

/** The 64 hash bits as 16 hex digits (a pHash's reliability mask is not shown). */
export function hashToHex(hash: bigint): string {
  return (hash & LOW64).toString(16).padStart(16, '0');
}

export function hashFromHex(hex: string): bigint {
  if (!/^[0-9a-f]{16}$/i.test(hex)) throw new RangeError(`a hash is 16 hex digits, got '${hex}'`);
  return BigInt(`0x${hex}`);
}
