import { describe, expect, it } from 'vitest';
import { SceneIndex, sceneSignature } from '../../src/similarity/scene-index.js';

describe('SceneIndex', () => {
  const t = { hashBits: 6, minCosine: 0.9 };

  it('finds a scene revisited later among others', () => {
    const index = new SceneIndex(t);
    expect(index.assign({ hashes: [0x00ffn] }).revisit).toBe(false);
    expect(index.assign({ hashes: [0xff00ff00ff00n] }).sceneId).toBe(1);
    expect(index.assign({ hashes: [0xffffn << 40n, 0x01ffn] })).toEqual({ sceneId: 0, revisit: true });
    expect(index.size).toBe(2);
  });

  it('does not merge scenes whose hashes match but whose embeddings point elsewhere', () => {
    const index = new SceneIndex(t);
    index.add({ hashes: [0n], embedding: new Float32Array([1, 0]) });
    expect(index.match({ hashes: [0n], embedding: new Float32Array([0, 1]) })).toBeUndefined();
    expect(index.match({ hashes: [1n], embedding: new Float32Array([0.95, 0.1]) })?.sceneId).toBe(0);
  });

  it('summarises a run with evenly spread hashes and a unit mean embedding', () => {
    const members = Array.from({ length: 20 }, (_, i) => ({
      hash: BigInt(i),
      embedding: new Float32Array([i % 2 ? 2 : 0, i % 2 ? 0 : 3]),
    }));
    const s = sceneSignature(members, 4);
    expect(s.hashes).toEqual([0n, 5n, 10n, 15n]);
    expect(s.embedding![0]).toBeCloseTo(Math.SQRT1_2, 5);
    expect(s.embedding![1]).toBeCloseTo(Math.SQRT1_2, 5);
  });

  it('states its memory per scene from the embedding length', () => {
    expect(SceneIndex.bytesPerScene(1280)).toBe(16 * 8 + 1280 * 4 + 64);
  });
});
