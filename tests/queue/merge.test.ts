import { describe, expect, it } from 'vitest';
import { applyJoin, findJoin, lastFreshStart, startsAfresh } from '../../src/queue/merge.js';
import type { FrameResult } from '../../src/types.js';

/** A row as the pipeline leaves it: frame index = second, group as grouping assigns it. */
function row(index: number, groupId: number, how: 'opens' | 'member' | 'reused', first = index): FrameResult {
  return {
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
    group: { groupId, reused: how === 'reused', ...(how === 'opens' ? {} : { duplicateOf: first }) },
  };
}

describe('joining a chunk to the rows so far', () => {
  // The run so far: groups open at 0, 3 and 6; rows 0..9.
  const run = [
    row(0, 0, 'opens'),
    row(1, 0, 'member', 0),
    row(2, 0, 'reused', 0),
    row(3, 1, 'opens'),
    row(4, 1, 'member', 3),
    row(5, 1, 'member', 3),
    row(6, 2, 'opens'),
    row(7, 2, 'member', 6),
    row(8, 2, 'member', 6),
    row(9, 3, 'opens'),
  ];

  it('joins at the first shared frame that went to the model and opened a group in both, renumbering groups', () => {
    // The chunk decoded from 4: its first frame opens its group 0, but the run had 4 inside group 1.
    const chunk = [
      row(4, 0, 'opens'),
      row(5, 0, 'member', 4),
      row(6, 1, 'opens'),
      row(7, 1, 'member', 6),
      row(8, 1, 'member', 6),
      row(9, 2, 'opens'),
      row(10, 2, 'member', 9),
    ];
    const join = findJoin(run, run.length, chunk)!;
    expect(join).toEqual({ keep: 6, from: 2, groupIdOffset: 1 });
    const merged = applyJoin(run, chunk, join);
    expect(merged.map((r) => [r.frame.index, r.group!.groupId])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 1],
      [5, 1],
      [6, 2],
      [7, 2],
      [8, 2],
      [9, 3],
      [10, 3],
    ]);
  });

  it('does not join on rows the run so far has not decided (the end of a cut chunk) or on reused results', () => {
    const chunk = [row(9, 0, 'opens'), row(10, 0, 'member', 9)];
    expect(findJoin(run, run.length - 1, chunk)).toBeUndefined();
    expect(findJoin([row(0, 0, 'opens'), row(1, 0, 'reused', 0)], 2, [row(1, 0, 'opens')])).toBeUndefined();
    expect(startsAfresh(row(2, 0, 'reused', 0))).toBe(false);
  });

  it('finds the last fresh start to run a chunk again from when its warm-up held none', () => {
    expect(lastFreshStart(run, 9)!.frame.index).toBe(6);
  });
});
