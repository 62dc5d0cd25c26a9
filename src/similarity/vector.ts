/** Embedding maths on Float32Arrays. */

export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`vectors differ in length: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Cosine similarity in -1..1; 0 when either vector is all zeros (no direction to compare). */
export function cosine(a: Float32Array, b: Float32Array): number {
  const na = Math.sqrt(dot(a, a));
  const nb = Math.sqrt(dot(b, b));
  return na === 0 || nb === 0 ? 0 : dot(a, b) / (na * nb);
}

/** A unit-length copy (zeros stay zeros). */
export function normalized(a: Float32Array): Float32Array {
  const n = Math.sqrt(dot(a, a));
  const out = new Float32Array(a.length);
  if (n > 0) for (let i = 0; i < a.length; i++) out[i] = a[i]! / n;
  return out;
}

/** Rows of a row-major n x d matrix as one unit-length matrix, so Euclidean distance ranks like cosine. */
export function normalizeRows(data: Float32Array, dims: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < data.length / dims; r++) out.set(normalized(data.subarray(r * dims, (r + 1) * dims)), r * dims);
  return out;
}

export function squaredDistance(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dims: number): number {
  let s = 0;
  for (let i = 0; i < dims; i++) {
    const d = a[aOffset + i]! - b[bOffset + i]!;
    s += d * d;
  }
  return s;
}

/** Stacks equal-length vectors into a row-major matrix. */
export function stackRows(rows: readonly Float32Array[]): { data: Float32Array; dims: number } {
  const dims = rows[0]?.length ?? 0;
  const data = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => {
    if (r.length !== dims) throw new RangeError(`row ${i} has ${r.length} values, expected ${dims}`);
    data.set(r, i * dims);
  });
  return { data, dims };
}

/**
 * Adds the unit-length copy of `vector` to `sum` (a new array when there is none yet) and returns
 * the sum: a running sum of directions, whose normalized value is the mean direction. Without a
 * vector the sum is returned as it is.
 */
export function addUnit(sum: Float32Array | undefined, vector: Float32Array | undefined): Float32Array | undefined {
  if (!vector) return sum;
  const unit = normalized(vector);
  const out = sum ?? new Float32Array(unit.length);
  for (let i = 0; i < unit.length; i++) out[i]! += unit[i]!;
  return out;
}
