import { describe, expect, it } from 'vitest';
import { SceneCollector, type RunMember } from '../../src/similarity/scene-collector.js';
import { SceneIndex } from '../../src/similarity/scene-index.js';

const revisit = { hashBits: 6, minCosine: 0.9 };

/** A run of `count` frames of one source from `startSeconds`, one a second, all with `hash`. */
function run(sourceId: string, startSeconds: number, count: number, hash: bigint): RunMember[] {
  return Array.from({ length: count }, (_, i) => ({
    hash,
    record: { sourceId, index: startSeconds + i, ptsSeconds: startSeconds + i, segmentId: -1, groupId: -1, reused: false, hash: '' },
  }));
}

describe('SceneCollector', () => {
  it('puts a revisit in the group of its first visit, with its first and last place and every source', () => {
    const collector = new SceneCollector(revisit);
    const tile = Buffer.from('first');
    collector.addSegment(run('a.mp4', 0, 3, 0x00ffn), undefined, tile);
    collector.addSegment(run('a.mp4', 3, 2, 0xff00ff00ff00n), undefined, undefined);
    collector.addSegment(run('b.mp4', 0, 4, 0x01ffn), undefined, Buffer.from('later'));
    expect(collector.groups).toHaveLength(2);
    const [first, second] = collector.groups;
    expect([first!.groupId, first!.members, first!.segments, first!.sources]).toEqual([0, 7, 2, ['a.mp4', 'b.mp4']]);
    expect(first!.first).toEqual({ sourceId: 'a.mp4', index: 0, ptsSeconds: 0 });
    expect(first!.last).toEqual({ sourceId: 'b.mp4', index: 3, ptsSeconds: 3 });
    // The representative and its thumbnail stay those of the first run.
    expect(first!.representative).toEqual(first!.first);
    expect(first!.thumbnail).toBe(tile);
    expect([second!.groupId, second!.members, second!.segments]).toEqual([1, 2, 1]);
  });

  it('numbers runs in order and stamps each frame with its run and its group', () => {
    const collector = new SceneCollector(revisit);
    collector.addSegment(run('a.mp4', 0, 2, 0x00ffn), undefined, undefined);
    collector.addSegment(run('a.mp4', 2, 1, 0xff00ff00ff00n), undefined, undefined);
    collector.addSegment(run('a.mp4', 3, 2, 0x00ffn), undefined, undefined);
    expect(collector.frames.map((f) => f.segmentId)).toEqual([0, 0, 1, 2, 2]);
    expect(collector.frames.map((f) => f.groupId)).toEqual([0, 0, 1, 0, 0]);
  });

  it('keeps every run a group of its own without revisit thresholds', () => {
    const collector = new SceneCollector();
    collector.addSegment(run('a.mp4', 0, 2, 0x00ffn), undefined, undefined);
    collector.addSegment(run('a.mp4', 2, 2, 0x00ffn), undefined, undefined);
    expect(collector.groups.map((g) => g.members)).toEqual([2, 2]);
    expect(collector.indexBytes).toBe(0);
  });

  it('does not merge runs whose hashes match but whose embeddings point elsewhere', () => {
    const collector = new SceneCollector(revisit);
    collector.addSegment(run('a.mp4', 0, 2, 0n), new Float32Array([2, 0]), undefined);
    collector.addSegment(run('a.mp4', 2, 2, 0n), new Float32Array([0, 2]), undefined);
    collector.addSegment(run('a.mp4', 4, 2, 1n), new Float32Array([1.9, 0.1]), undefined);
    expect(collector.frames.map((f) => f.groupId)).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('ignores an empty run and states the scene index memory from the embedding length', () => {
    const collector = new SceneCollector(revisit);
    collector.addSegment([], undefined, undefined);
    collector.addSegment(run('a.mp4', 0, 1, 0n), new Float32Array(1280), undefined);
    expect(collector.frames[0]!.segmentId).toBe(0);
    expect(collector.indexBytes).toBe(SceneIndex.bytesPerScene(1280));
  });
});
