import { from, lastValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { groupFrames, type GroupStats } from '../../src/operators/group.js';
import { skipDuplicates } from '../../src/operators/skip-duplicates.js';
import type { FrameResult } from '../../src/types.js';
import { sceneFrame, type Scene } from '../similarity/scene-frames.js';

const scenes: Record<string, Scene> = { a: 'rising', b: 'falling', c: 'stripes', d: 'rows' };
const result = (letter: string, index: number, sourceId = 'clip', embedding?: Float32Array): FrameResult => ({
  frame: sceneFrame(scenes[letter]!, { index, sourceId, ptsSeconds: index }),
  heads: {},
  ...(embedding ? { embedding } : {}),
});
const results = (letters: string, sourceId = 'clip') => [...letters].map((l, i) => result(l, i, sourceId));
const groupIds = async (input: FrameResult[], options = {}) =>
  (await lastValueFrom(from(input).pipe(groupFrames(options), toArray()))).map((r) => r.group!.groupId);

describe('groupFrames', () => {
  it('opens a new group at each scene change and points members at the first frame', async () => {
    const out = await lastValueFrom(from(results('aaabbc')).pipe(groupFrames({ confirmFrames: 1, hash: 'dhash' }), toArray()));
    expect(out.map((r) => r.group!.groupId)).toEqual([0, 0, 0, 1, 1, 2]);
    expect(out.map((r) => r.group!.duplicateOf)).toEqual([undefined, 0, 0, undefined, 3, undefined]);
    expect(out.map((r) => r.group!.hash)).toEqual([
      'ffffffffffffffff',
      'ffffffffffffffff',
      'ffffffffffffffff',
      '0000000000000000',
      '0000000000000000',
      '5555555555555555',
    ]);
    expect(out.every((r) => r.group!.reused === false)).toBe(true);
  });

  it('keeps a group through one odd frame and reports it as noise', async () => {
    const stats: GroupStats = { frames: 0, groups: 0, noise: 0 };
    expect(await groupIds(results('aaacaaa'), { stats })).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(stats).toEqual({ frames: 7, groups: 1, noise: 1 });
  });

  it('holds a changed frame back by one frame of time when confirmFrames is 2', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const byLetter = { a: result('a', 0), b: result('b', 1), c: result('b', 2), d: result('a', 3) };
      const out = cold('-a-b--c-d-|', byLetter).pipe(
        groupFrames({ confirmFrames: 2 }),
        map((r) => `${r.frame.index}:${r.group!.groupId}`),
      );
      // b is held until c confirms the change; then both leave at once. d opens a group that the end flushes.
      expectObservable(out).toBe('-w----(xy)(z|)', { w: '0:0', x: '1:1', y: '2:1', z: '3:2' });
    });
  });

  it('splits frames whose hashes match when their embeddings point elsewhere', async () => {
    const e = (x: number, y: number) => new Float32Array([x, y]);
    const input = [
      result('a', 0, 'clip', e(1, 0)),
      result('a', 1, 'clip', e(1, 0.05)),
      result('a', 2, 'clip', e(0, 1)),
      result('a', 3, 'clip', e(0, 1)),
    ];
    expect(await groupIds(input)).toEqual([0, 0, 1, 1]);
    expect(await groupIds(input, { useEmbeddings: false })).toEqual([0, 0, 0, 0]);
  });

  it('opens a new group when the source changes, even for the same picture', async () => {
    expect(await groupIds([...results('aa', 'one'), ...results('aa', 'two')])).toEqual([0, 0, 1, 1]);
  });

  it('keeps the reuse marks of skipDuplicates and renumbers its runs as groups', async () => {
    const frames = [...'aaabbb'].map((l, i) => result(l, i).frame);
    const stage = map((frame: (typeof frames)[number]): FrameResult => ({ frame, heads: {} }));
    const out = await lastValueFrom(from(frames).pipe(skipDuplicates({}, stage), groupFrames(), toArray()));
    expect(out.map((r) => [r.group!.groupId, r.group!.reused, r.group!.duplicateOf])).toEqual([
      [0, false, undefined],
      [0, true, 0],
      [0, true, 0],
      [1, false, undefined],
      [1, true, 3],
      [1, true, 3],
    ]);
  });

  it('gives each subscription its own state', async () => {
    const piped = from(results('ab')).pipe(groupFrames({ confirmFrames: 1 }), toArray());
    const first = await lastValueFrom(piped);
    const second = await lastValueFrom(piped);
    expect(second.map((r) => r.group!.groupId)).toEqual(first.map((r) => r.group!.groupId));
  });
});
