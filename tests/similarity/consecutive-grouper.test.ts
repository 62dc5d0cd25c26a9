import { describe, expect, it } from 'vitest';
import { ConsecutiveGrouper, type GroupingThresholds } from '../../src/similarity/consecutive-grouper.js';

const T: GroupingThresholds = { hashBits: 4, minCosine: 0.9, memoryFrames: 2, confirmFrames: 1 };
/** Scenes as hashes far apart; small variations flip a bit or two. */
const A = 0x0000000000000000n;
const B = 0xffffffff00000000n;
const C = 0x00000000ffffffffn;

function run(hashes: bigint[], thresholds = T, embeddings?: Float32Array[]) {
  const g = new ConsecutiveGrouper<number>(thresholds);
  const out = hashes.flatMap((hash, i) => g.push({ hash, item: i, ...(embeddings ? { embedding: embeddings[i]! } : {}) }));
  out.push(...g.flush());
  return out;
}

describe('ConsecutiveGrouper', () => {
  it('starts a new group whenever the scene changes and numbers groups in order', () => {
    const out = run([A, A | 1n, B, B, C, A]);
    expect(out.map((a) => a.groupId)).toEqual([0, 0, 1, 1, 2, 3]);
    expect(out.map((a) => a.first)).toEqual([0, 0, 2, 2, 4, 5]);
    expect(out.map((a) => a.opened)).toEqual([true, false, true, false, true, true]);
  });

  it('lets a slow drift stay in one group by comparing with recent members', () => {
    // Each step flips 3 more bits: 12 bits from the first frame at the end, 3 from the previous.
    const drift = [0n, 0x7n, 0x3fn, 0x1ffn, 0xfffn];
    expect(run(drift).map((a) => a.groupId)).toEqual([0, 0, 0, 0, 0]);
  });

  it('absorbs one odd frame as noise when confirmFrames is 2', () => {
    const out = run([A, A, C, A, A], { ...T, confirmFrames: 2 });
    expect(out.map((a) => a.item)).toEqual([0, 1, 2, 3, 4]);
    expect(out.map((a) => a.groupId)).toEqual([0, 0, 0, 0, 0]);
    expect(out.find((a) => a.item === 2)!.noise).toBe(true);
  });

  it('splits after two changed frames in a row when confirmFrames is 2', () => {
    expect(run([A, A, B, B, B], { ...T, confirmFrames: 2 }).map((a) => a.groupId)).toEqual([0, 0, 1, 1, 1]);
  });

  it('holds a changed frame until the next one decides, and decides held frames at the end', () => {
    const g = new ConsecutiveGrouper<number>({ ...T, confirmFrames: 2 });
    expect(g.push({ hash: A, item: 0 })).toHaveLength(1);
    expect(g.push({ hash: B, item: 1 })).toHaveLength(0);
    expect(g.pendingCount).toBe(1);
    expect(g.flush().map((a) => [a.item, a.groupId])).toEqual([[1, 1]]);
  });

  it('gives two unrelated changed frames in a row their own groups', () => {
    expect(run([A, B, C, C], { ...T, confirmFrames: 2 }).map((a) => a.groupId)).toEqual([0, 1, 2, 2]);
  });

  it('splits on the embedding when the hashes match but the cosine is below the threshold', () => {
    const e = (x: number, y: number) => new Float32Array([x, y]);
    expect(run([A, A, A], T, [e(1, 0), e(0.99, 0.05), e(0, 1)]).map((a) => a.groupId)).toEqual([0, 0, 1]);
  });

  it('refuses a memory or confirmation of less than one frame', () => {
    expect(() => new ConsecutiveGrouper({ ...T, memoryFrames: 0 })).toThrow(/at least 1/);
  });
});
