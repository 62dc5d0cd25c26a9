/**
 * DBSCAN (Ester et al. 1996), Euclidean distance on a row-major n x d Float32Array: clusters are
 * dense regions (at least `minPoints` within `eps`, the point included); points in no dense region
 * are noise (-1). No k to choose, and odd items stay out of the clusters. O(n^2 d).
 */
import { squaredDistance } from './vector.js';

export const NOISE = -1;

export function dbscan(data: Float32Array, dims: number, eps: number, minPoints: number): Int32Array {
  const n = data.length / dims;
  const eps2 = eps * eps;
  const labels = new Int32Array(n).fill(-2); // -2: not visited yet
  const neighbours = (i: number): number[] => {
    const out: number[] = [];
    for (let j = 0; j < n; j++) if (squaredDistance(data, i * dims, data, j * dims, dims) <= eps2) out.push(j);
    return out;
  };
  let cluster = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== -2) continue;
    const seeds = neighbours(i);
    if (seeds.length < minPoints) {
      labels[i] = NOISE;
      continue;
    }
    labels[i] = cluster;
    const queue = seeds.filter((j) => j !== i);
    for (let q = 0; q < queue.length; q++) {
      const j = queue[q]!;
      if (labels[j] === NOISE) labels[j] = cluster; // a border point
      if (labels[j] !== -2) continue;
      labels[j] = cluster;
      const more = neighbours(j);
      if (more.length >= minPoints) queue.push(...more);
    }
    cluster++;
  }
  return labels;
}
