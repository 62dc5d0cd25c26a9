/**
 * Grouping of an unordered set (a dataset folder): every pair within the thresholds is linked and
 * groups are the connected components (single linkage, union-find). Used to deduplicate datasets
 * and to split train/validation by group so near-duplicates never straddle the split.
 * All pairs: O(n^2) hash distances on uint32 words (10k images is 50M tests), and a cosine
 * only for pairs whose hashes already match.
 */
import { seededRandom } from '../random.js';
import { hamming32, popcount32 } from './hash.js';
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
  // Hashes as uint32 words (bits low, bits high, mask low, mask high): bigint work is too slow for n^2 pairs.
  const words = new Uint32Array(n * 4);
  items.forEach((item, i) => {
    for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((item.hash >> BigInt(32 * w)) & 0xffffffffn);
  });
  const distance = (i: number, j: number): number => {
    const [a0, a1, am0, am1] = [words[i * 4]!, words[i * 4 + 1]!, words[i * 4 + 2]!, words[i * 4 + 3]!];
    const [b0, b1, bm0, bm1] = [words[j * 4]!, words[j * 4 + 1]!, words[j * 4 + 2]!, words[j * 4 + 3]!];
    if ((am0 | am1) === 0 || (bm0 | bm1) === 0) return hamming32(a1, a0, b1, b0);
    // Same rule as hashDistance: bits reliable in either hash, scaled to 64.
    const m0 = (am0 | bm0) >>> 0;
    const m1 = (am1 | bm1) >>> 0;
    return Math.round(((popcount32(((a0 ^ b0) & m0) >>> 0) + popcount32(((a1 ^ b1) & m1) >>> 0)) * 64) / (popcount32(m0) + popcount32(m1)));
  };
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
      if (distance(i, j) > thresholds.hashBits) continue;
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
  const random = seededRandom(seed);
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
