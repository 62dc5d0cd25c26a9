import { describe, expect, it } from 'vitest';
import { planChunks, slotStart, tailSeconds } from '../../src/queue/plan.js';

const base = { chunkSeconds: 20, warmupSeconds: 4, everySeconds: 1, fps: 25, confirmFrames: 2 };

describe('planChunks', () => {
  it('keeps a recording that is not much longer than one chunk in one job, decoded as a single run', () => {
    expect(planChunks(24, base)).toEqual([{ index: 0, emitFromSeconds: 0, decodeFromSeconds: 0 }]);
    expect(planChunks(undefined, base)).toHaveLength(1);
  });

  it('cuts a long recording into chunks that decode from a warm-up before their start and past their end', () => {
    const chunks = planChunks(50, base);
    expect(chunks.map((c) => [c.emitFromSeconds, c.emitToSeconds])).toEqual([
      [0, 20],
      [20, 40],
      [40, undefined],
    ]);
    expect(chunks.map((c) => c.decodeFromSeconds)).toEqual([0, 16, 36]);
    expect(chunks[0]!.decodeToSeconds).toBeCloseTo(20 + tailSeconds(base), 9);
    expect(chunks[2]!.decodeToSeconds).toBeUndefined();
  });

  it('folds a short remainder into the chunk before it', () => {
    expect(planChunks(44, base).map((c) => c.emitToSeconds)).toEqual([20, undefined]);
  });

  it('cuts at keyframes and starts warm-ups on a keyframe and a sampling slot boundary', () => {
    const chunks = planChunks(50, { ...base, everySeconds: 2, keyframes: [0, 7.5, 15.2, 19.6, 35.1, 39.9] });
    expect(chunks.map((c) => c.emitFromSeconds)).toEqual([0, 19.6, 39.9]);
    // 19.6 - 4 = 15.6 -> keyframe 15.2 -> slot [14, 16) starts at 14.
    expect(chunks.map((c) => c.decodeFromSeconds)).toEqual([0, 14, 34]);
  });
});

describe('slotStart', () => {
  it('is the start of the --every slot holding the time, and the time itself when every frame is kept', () => {
    expect(slotStart(10.2, 0.3)).toBeCloseTo(10.2, 9);
    expect(slotStart(10.25, 0.5)).toBe(10);
    expect(slotStart(7.3, 0)).toBe(7.3);
  });
});
