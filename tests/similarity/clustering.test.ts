import { describe, expect, it } from 'vitest';
import { clusterEmbeddings } from '../../src/similarity/cluster-embeddings.js';
import { dbscan, NOISE } from '../../src/similarity/dbscan.js';
import { seededRandom } from '../../src/random.js';
import { groupImages, splitByGroup } from '../../src/similarity/group-images.js';
import { kMeans } from '../../src/similarity/kmeans.js';
import { pairwiseScores } from '../../src/similarity/pairwise.js';
import { chooseK, silhouette } from '../../src/similarity/silhouette.js';
import { cosine, normalizeRows } from '../../src/similarity/vector.js';

/** `perBlob` points around each 2-D centre, jittered by +-spread. */
function blobs(centres: [number, number][], perBlob: number, spread: number, seed = 5) {
  const r = seededRandom(seed);
  const data = new Float32Array(centres.length * perBlob * 2);
  const truth: number[] = [];
  centres.forEach(([x, y], c) => {
    for (let i = 0; i < perBlob; i++) {
      const p = (c * perBlob + i) * 2;
      data[p] = x + (r() - 0.5) * 2 * spread;
      data[p + 1] = y + (r() - 0.5) * 2 * spread;
      truth.push(c);
    }
  });
  return { data, truth };
}

describe('kMeans', () => {
  const { data, truth } = blobs(
    [
      [0, 0],
      [10, 0],
      [0, 10],
    ],
    20,
    1,
  );

  it('recovers well-separated blobs exactly', () => {
    const result = kMeans(data, 2, 3, { seed: 3 });
    const s = pairwiseScores(result.assignments, truth);
    expect([s.precision, s.recall]).toEqual([1, 1]);
  });

  it('repeats the same clustering for the same seed', () => {
    expect(Array.from(kMeans(data, 2, 3, { seed: 9 }).assignments)).toEqual(Array.from(kMeans(data, 2, 3, { seed: 9 }).assignments));
  });

  it('places centroids at the blob means within the jitter', () => {
    const { centroids, assignments } = kMeans(data, 2, 3, { seed: 3 });
    const c = assignments[0]!;
    expect(Math.abs(centroids[c * 2]!)).toBeLessThan(0.5);
    expect(Math.abs(centroids[c * 2 + 1]!)).toBeLessThan(0.5);
  });

  it('refuses a k larger than the number of points', () => {
    expect(() => kMeans(new Float32Array(4), 2, 3)).toThrow(/k must be an integer in 1..2/);
  });
});

describe('silhouette and chooseK', () => {
  it('scores a true clustering near 1 and a shuffled one near or below 0', () => {
    const { data, truth } = blobs(
      [
        [0, 0],
        [10, 0],
      ],
      15,
      1,
    );
    expect(silhouette(data, 2, truth)).toBeGreaterThan(0.85);
    expect(
      silhouette(
        data,
        2,
        truth.map((_, i) => i % 2),
      ),
    ).toBeLessThan(0.1);
  });

  it('chooses the number of blobs as k', () => {
    const { data } = blobs(
      [
        [0, 0],
        [10, 0],
        [0, 10],
        [10, 10],
      ],
      12,
      1,
    );
    const { best, scores } = chooseK(data, 2, 2, 7, { seed: 2 });
    expect(best.k).toBe(4);
    expect(scores.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7]);
  });
});

describe('dbscan', () => {
  it('finds dense blobs and leaves a far point as noise', () => {
    const { data, truth } = blobs(
      [
        [0, 0],
        [10, 0],
      ],
      10,
      1,
    );
    const withOutlier = new Float32Array([...data, 50, 50]);
    const labels = dbscan(withOutlier, 2, 2, 3);
    expect(labels[20]).toBe(NOISE);
    const s = pairwiseScores(labels.subarray(0, 20), truth);
    expect([s.precision, s.recall]).toEqual([1, 1]);
  });
});

describe('groupImages', () => {
  it('links near-duplicates transitively and keeps distant images apart', () => {
    const ids = groupImages([{ hash: 0n }, { hash: 0x7n }, { hash: 0x3fn }, { hash: 0xffff0000n }], { hashBits: 3, minCosine: 0.9 });
    expect(Array.from(ids)).toEqual([0, 0, 0, 1]);
  });

  it('keeps apart images whose hashes match but embeddings do not', () => {
    const ids = groupImages(
      [
        { hash: 0n, embedding: new Float32Array([1, 0]) },
        { hash: 0n, embedding: new Float32Array([0, 1]) },
      ],
      { hashBits: 3, minCosine: 0.9 },
    );
    expect(Array.from(ids)).toEqual([0, 1]);
  });

  it('splits by group so that no group straddles train and validation', () => {
    const groups = Array.from({ length: 200 }, (_, i) => Math.floor(i / 5));
    const validation = splitByGroup(groups, 0.2, 4);
    for (let g = 0; g < 40; g++) expect(new Set(validation.slice(g * 5, g * 5 + 5)).size).toBe(1);
    const share = validation.filter(Boolean).length / 200;
    expect(Math.abs(share - 0.2)).toBeLessThanOrEqual(0.05);
  });
});

describe('pairwiseScores', () => {
  it('counts pairs from the contingency table', () => {
    // Truth {0,1,2} {3,4}; predicted {0,1} {2,3,4}: true pairs 01, 34 -> precision 2/4, recall 2/4.
    const s = pairwiseScores([0, 0, 1, 1, 1], ['a', 'a', 'a', 'b', 'b']);
    expect([s.truePairs, s.predictedPairs, s.truthPairs]).toEqual([2, 4, 4]);
    expect(s.precision).toBeCloseTo(0.5, 12);
    expect([s.predictedGroups, s.truthGroups]).toEqual([2, 2]);
  });

  it('refuses label lists of different lengths', () => {
    expect(() => pairwiseScores([0], [0, 1])).toThrow(/1 predicted labels for 2/);
  });
});

describe('vectors', () => {
  it('computes cosine similarity and normalises rows to unit length', () => {
    expect(cosine(new Float32Array([1, 0]), new Float32Array([1, 1]))).toBeCloseTo(Math.SQRT1_2, 6);
    expect(cosine(new Float32Array([0, 0]), new Float32Array([1, 1]))).toBe(0);
    const rows = normalizeRows(new Float32Array([3, 4, 0, 2]), 2);
    expect(Array.from(rows)).toEqual([0.6000000238418579, 0.800000011920929, 0, 1]);
  });
});

describe('clusterEmbeddings', () => {
  // Three directions in 8-D, each with 10 jittered, differently scaled copies: scale must not matter.
  const r = seededRandom(12);
  const directions = [0, 3, 6];
  const rows = directions.flatMap((d) =>
    Array.from({ length: 10 }, (_, i) => {
      const v = new Float32Array(8).map(() => (r() - 0.5) * 0.1);
      v[d]! += 1;
      return v.map((x) => x * (1 + i));
    }),
  );
  const truth = directions.flatMap((d) => Array(10).fill(d));
  const options = { method: 'both' as const, kMin: 2, kMax: 6, eps: 0.3, minPoints: 3, seed: 1 };

  it('chooses k by silhouette and finds the directions whatever the vector lengths', () => {
    const result = clusterEmbeddings(rows, options);
    expect(result.kmeans!.k).toBe(3);
    expect(pairwiseScores(result.kmeans!.assignments, truth).f1).toBe(1);
    expect(result.kmeans!.silhouette).toBeGreaterThan(0.8);
    expect(result.kmeans!.distances.every((d) => d < 0.2)).toBe(true);
    expect(result.dbscan!.clusters).toBe(3);
    expect(result.dbscan!.noise).toBe(0);
  });

  it('uses the k it is given', () => {
    expect(clusterEmbeddings(rows, { ...options, method: 'kmeans', k: 5 }).kmeans!.k).toBe(5);
  });
});
