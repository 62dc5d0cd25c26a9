import { describe, expect, it } from 'vitest';
import { defaultGrouping } from '../../src/config/grouping.js';
import { rememberFrameHash } from '../../src/similarity/frame-hash.js';
import { applyJoin, findJoin, lastInferred, regroup } from '../../src/queue/merge.js';
import type { FrameResult } from '../../src/types.js';

/** A row as a chunk leaves it: frame index = second; `reusedFrom` when skipDuplicates copied a result. */
function row(index: number, groupId: number, hash: string, reusedFrom?: number): FrameResult {
  const result: FrameResult = {
    frame: {
      sourceId: 'dive.mp4',
      index,
      ptsSeconds: index,
      width: 1,
      height: 1,
      pixels: new Uint8Array(0),
      sourceSize: { width: 1, height: 1 },
      region: { x: 0, y: 0, width: 1, height: 1 },
    },
    heads: {},
    group: { groupId, reused: reusedFrom !== undefined, hash, ...(reusedFrom !== undefined ? { duplicateOf: reusedFrom } : {}) },
  };
  rememberFrameHash(result.frame, defaultGrouping.hash, BigInt(`0x${hash}`));
  return result;
}

const SCENE_A = '0000000000000000';
const SCENE_B = 'ffffffffffffffff';

describe('joining a chunk to the rows so far', () => {
  // The run so far: frames 0..9; 2 and 5 reused the result of the frame before them.
  const run = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => row(i, 0, i < 6 ? SCENE_A : SCENE_B, i === 2 || i === 5 ? i - 1 : undefined));

  it('joins at the first shared frame that both sent to the model', () => {
    // The chunk decoded from 5: its first frame went to the model, where the run reused frame 4's result.
    const chunk = [5, 6, 7, 8, 9, 10].map((i) => row(i, 0, i < 6 ? SCENE_A : SCENE_B));
    const join = findJoin(run, chunk)!;
    expect(join).toEqual({ keep: 6, from: 1 });
    expect(applyJoin(run, chunk, join).map((r) => r.frame.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('finds no join where one side only reused results, and then the last frame the run sent to the model', () => {
    expect(findJoin(run.slice(0, 6), [row(5, 0, SCENE_A)])).toBeUndefined();
    expect(lastInferred(run.slice(0, 6))!.frame.index).toBe(4);
  });

  it('regroups joined rows as one run: group ids go on, duplicate_of points at the group start, reuse keeps its source', async () => {
    // Each chunk numbered its groups from 0; the joined rows must read as one run's.
    const joined = [
      row(0, 0, SCENE_A),
      row(1, 0, SCENE_A),
      row(2, 0, SCENE_A, 1),
      row(3, 0, SCENE_B),
      row(4, 0, SCENE_B),
      row(5, 0, SCENE_B),
    ];
    const grouped = await regroup(joined);
    expect(grouped.map((r) => [r.group!.groupId, r.group!.duplicateOf, r.group!.reused])).toEqual([
      [0, undefined, false],
      [0, 0, false],
      [0, 1, true],
      [1, undefined, false],
      [1, 3, false],
      [1, 3, false],
    ]);
  });
});
