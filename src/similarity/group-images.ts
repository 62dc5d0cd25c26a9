/**
 * Grouping of an unordered set (a dataset folder): every pair within the thresholds is linked and
 * groups are the connected components (single linkage, union-find). Used to deduplicate datasets
 * and to split train/validation by group so near-duplicates never straddle the split.
 * All pairs: O(n^2) 64-bit Hamming tests on uint32 halves (10k images is 50M tests), and a cosine
 * only for pairs whose hashes already match.
 */
import { hamming32 } from './hash.js';
import { cosine } from './vector.js';

export interface ImageSignature {
  hash: bigint;
  embedding?: Float32Array;
}

export interface ImageGroupingThresholds {
  hashBits: number;
  minCosine: number;
}

/** Group id per item (0-based, numbered in order of each group's first item). */
export function groupImages(items: readonly ImageSignature[], thresholds: ImageGroupingThresholds): Int32Array {
  const n = items.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  items.forEach((item, i) => {
    hi[i] = Number((item.hash >> 32n) & 0xffffffffn);
    lo[i] = Number(item.hash & 0xffffffffn);
  });
  const parent = new Int32Array(n).map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (hamming32(hi[i]!, lo[i]!, hi[j]!, lo[j]!) > thresholds.hashBits) continue;
      const a = items[i]!.embedding;
      const b = items[j]!.embedding;
      if (a && b && cosine(a, b) < thresholds.minCosine) continue;
      const ri = find(i);
      const rj = find(j);
      if (ri !== rj) parent[Math.max(ri, rj)] = Math.min(ri, rj);
    }
  }
  const ids = new Int32Array(n);
  const idOfRoot = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const root = find(i);
    if (!idOfRoot.has(root)) idOfRoot.set(root, idOfRoot.size);
    ids[i] = idOfRoot.get(root)!;
  }
  return ids;
}

/**
 * A train/validation split that keeps each group whole: groups are shuffled with `seed` and
 * taken into validation until it holds about `validationFraction` of the items.
 * Returns true for validation items.
 */
export function splitByGroup(groupIds: ArrayLike<number>, validationFraction: number, seed = 1): boolean[] {
  const sizes = new Map<number, number>();
  for (let i = 0; i < groupIds.length; i++) sizes.set(groupIds[i]!, (sizes.get(groupIds[i]!) ?? 0) + 1);
  const order = [...sizes.keys()];
  const random = mulberry32(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const target = validationFraction * groupIds.length;
  const validation = new Set<number>();
  let taken = 0;
  for (const g of order) {
    if (taken >= target) break;
    validation.add(g);
    taken += sizes.get(g)!;
  }
  return Array.from(groupIds, (g) => validation.has(g));
}

/** Small seeded PRNG (mulberry32): reproducible shuffles and k-means++ seeding. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
