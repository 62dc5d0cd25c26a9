/**
 * Sub-category discovery: embeddings (unit-normalised, so Euclidean ranks like cosine) clustered
 * with k-means (k given, or chosen by silhouette on a seeded sample) and/or DBSCAN.
 */
import { dbscan, NOISE } from './dbscan.js';
import { seededRandom } from '../random.js';
import { kMeans } from './kmeans.js';
import { chooseK, silhouette } from './silhouette.js';
import { normalizeRows, squaredDistance, stackRows } from './vector.js';

export interface ClusterOptions {
  method: 'kmeans' | 'dbscan' | 'both';
  k?: number;
  kMin: number;
  kMax: number;
  eps: number;
  minPoints: number;
  seed: number;
  /** Silhouette is O(n^2): k is chosen on at most this many points (seeded sample). */
  maxSilhouettePoints?: number;
}

export interface KMeansClusters {
  k: number;
  assignments: Int32Array;
  /** Euclidean distance of each unit embedding to its centroid (0 = typical of its cluster). */
  distances: Float32Array;
  silhouette: number;
  /** Silhouette of each k tried, when k was chosen. */
  scores?: { k: number; silhouette: number }[];
}

export interface DensityClusters {
  labels: Int32Array;
  clusters: number;
  noise: number;
}

export interface ClusterResult {
  kmeans?: KMeansClusters;
  dbscan?: DensityClusters;
}

export function clusterEmbeddings(embeddings: readonly Float32Array[], options: ClusterOptions): ClusterResult {
  const { data: raw, dims } = stackRows(embeddings);
  const data = normalizeRows(raw, dims);
  const n = embeddings.length;
  const result: ClusterResult = {};
  if (options.method !== 'dbscan') {
    let k = options.k;
    let scores: KMeansClusters['scores'];
    if (k === undefined) {
      const sample = sampleRows(data, dims, options.maxSilhouettePoints ?? 1500, options.seed);
      const chosen = chooseK(sample, dims, options.kMin, options.kMax, { seed: options.seed });
      k = chosen.best.k;
      scores = chosen.scores;
    }
    if (k > n) throw new RangeError(`k = ${k} is more than the ${n} items to cluster`);
    const km = kMeans(data, dims, k, { seed: options.seed });
    const distances = new Float32Array(n);
    for (let i = 0; i < n; i++) distances[i] = Math.sqrt(squaredDistance(data, i * dims, km.centroids, km.assignments[i]! * dims, dims));
    const sample = n > (options.maxSilhouettePoints ?? 1500) ? undefined : silhouette(data, dims, km.assignments);
    result.kmeans = {
      k,
      assignments: km.assignments,
      distances,
      silhouette: sample ?? scores?.find((s) => s.k === k)?.silhouette ?? NaN,
      ...(scores ? { scores } : {}),
    };
  }
  if (options.method !== 'kmeans') {
    const labels = dbscan(data, dims, options.eps, options.minPoints);
    let clusters = 0;
    let noise = 0;
    for (const l of labels) l === NOISE ? noise++ : (clusters = Math.max(clusters, l + 1));
    result.dbscan = { labels, clusters, noise };
  }
  return result;
}

function sampleRows(data: Float32Array, dims: number, max: number, seed: number): Float32Array {
  const n = data.length / dims;
  if (n <= max) return data;
  const random = seededRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(random() * (n - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const out = new Float32Array(max * dims);
  for (let i = 0; i < max; i++) out.set(data.subarray(order[i]! * dims, (order[i]! + 1) * dims), i * dims);
  return out;
}
