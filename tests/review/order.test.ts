import { describe, expect, it } from 'vitest';
import {
  groupConsensus,
  groupUncertainty,
  representativeFrame,
  reviewOrder,
  type ReviewFrame,
  type ReviewGroup,
} from '../../src/review/order.js';

const frame = (ptsSeconds: number | undefined, floor: [string, number], element: [string, number], source = 'dive.mp4'): ReviewFrame => ({
  source,
  ...(ptsSeconds !== undefined ? { ptsSeconds } : {}),
  predictions: { floor: { label: floor[0], confidence: floor[1] }, element: { label: element[0], confidence: element[1] } },
});

/** A group of `size` frames from `start` seconds, one a second, all predicting the same at `confidence`. */
const steady = (group: string, start: number, size: number, confidence: number, source = 'dive.mp4'): ReviewGroup => ({
  group,
  frames: Array.from({ length: size }, (_, i) => frame(start + i, ['sandy', confidence], ['fauna', confidence], source)),
});

describe('groupConsensus', () => {
  it('takes the majority label per head with its share of frames and mean confidence', () => {
    const c = groupConsensus([
      frame(0, ['sandy', 0.9], ['fauna', 0.8]),
      frame(1, ['sandy', 0.7], ['waste', 0.6]),
      frame(2, ['muddy', 0.5], ['fauna', 0.6]),
    ]);
    expect(c.floor!.label).toBe('sandy');
    expect(c.floor!.agreement).toBeCloseTo(2 / 3, 9);
    expect(c.floor!.meanConfidence).toBeCloseTo(0.8, 9);
    expect(c.element!.label).toBe('fauna');
    expect(c.element!.meanConfidence).toBeCloseTo(0.7, 9);
  });

  it('breaks a tie in votes by the higher total confidence', () => {
    const c = groupConsensus([frame(0, ['sandy', 0.55], ['fauna', 0.9]), frame(1, ['muddy', 0.95], ['fauna', 0.9])]);
    expect(c.floor!.label).toBe('muddy');
    expect(c.floor!.agreement).toBe(0.5);
  });
});

describe('groupUncertainty', () => {
  it('is near 0 for a confident, unanimous group and grows with disagreement', () => {
    const sure = groupUncertainty(groupConsensus(steady('a', 0, 5, 0.98).frames));
    const split = groupUncertainty(
      groupConsensus([frame(0, ['sandy', 0.98], ['fauna', 0.98]), frame(1, ['sandy', 0.98], ['waste', 0.98])]),
    );
    expect(sure).toBeCloseTo(0.02, 9);
    // Floor 1 - 0.98, element 1 - 0.5 x 0.98, averaged.
    expect(split).toBeCloseTo((0.02 + 0.51) / 2, 9);
  });
});

describe('representativeFrame', () => {
  it('shows a frame carrying the majority labels, the one nearest the middle of the group', () => {
    const frames = [
      frame(0, ['sandy', 0.9], ['fauna', 0.9]),
      frame(1, ['sandy', 0.9], ['fauna', 0.9]),
      frame(2, ['muddy', 0.9], ['rocks', 0.9]),
      frame(3, ['sandy', 0.9], ['fauna', 0.9]),
      frame(4, ['sandy', 0.9], ['fauna', 0.9]),
    ];
    const chosen = representativeFrame(frames, groupConsensus(frames));
    expect(chosen.predictions.floor!.label).toBe('sandy');
    expect([1, 3]).toContain(chosen.ptsSeconds);
  });
});

describe('reviewOrder', () => {
  it('gives one item per group with its size, least confident group first', () => {
    const groups = [steady('g0', 0, 10, 0.95), steady('g1', 10, 4, 0.4), steady('g2', 20, 7, 0.7)];
    const order = reviewOrder(groups, { coverageWeight: 0 });
    expect(order.map((i) => i.group)).toEqual(['g1', 'g2', 'g0']);
    expect(order.map((i) => i.size)).toEqual([4, 7, 10]);
  });

  it('puts a group whose frames disagree ahead of a unanimous one of the same confidence', () => {
    const disagreeing: ReviewGroup = {
      group: 'mixed',
      frames: [
        frame(20, ['sandy', 0.8], ['fauna', 0.8]),
        frame(21, ['sandy', 0.8], ['waste', 0.8]),
        frame(22, ['sandy', 0.8], ['rocks', 0.8]),
      ],
    };
    const order = reviewOrder([steady('calm', 0, 3, 0.8), disagreeing], { coverageWeight: 0 });
    expect(order[0]!.group).toBe('mixed');
  });

  it('spreads over the dive: after one group, an equally unsure group far away comes before its neighbour', () => {
    // Three equally unsure groups: two next to each other at the start, one at the end of the dive.
    const groups = [steady('start', 0, 3, 0.5), steady('next', 3, 3, 0.5), steady('end', 600, 3, 0.5)];
    expect(reviewOrder(groups).map((i) => i.group)).toEqual(['start', 'end', 'next']);
    // Without coverage the tie keeps input order.
    expect(reviewOrder(groups, { coverageWeight: 0 }).map((i) => i.group)).toEqual(['start', 'next', 'end']);
  });

  it('still lets a much more uncertain group beat coverage', () => {
    const groups = [steady('start', 0, 3, 0.2), steady('next', 3, 3, 0.2), steady('end', 600, 3, 0.9)];
    expect(reviewOrder(groups).map((i) => i.group)).toEqual(['start', 'next', 'end']);
  });

  it('treats recordings as separate tracks, so a group of another recording is never near', () => {
    const groups = [
      steady('a0', 0, 2, 0.5, 'a.mp4'),
      steady('a1', 2, 2, 0.5, 'a.mp4'),
      steady('a2', 300, 2, 0.5, 'a.mp4'),
      steady('b0', 0, 2, 0.5, 'b.mp4'),
    ];
    const order = reviewOrder(groups).map((i) => i.group);
    // b0 sits at the same time as a0 but on its own recording: it waits for nothing; a1 is next to a0.
    expect(order.indexOf('b0')).toBeLessThan(order.indexOf('a1'));
    expect(order.at(-1)).toBe('a1');
  });

  it('orders images by uncertainty alone: their place in a folder listing is no place on the dive', () => {
    const image = (i: number, confidence: number): ReviewGroup => ({
      group: `i${i}`,
      frames: [frame(undefined, ['reef', confidence], ['fauna', confidence], `img${i}.jpg`)],
    });
    // Equal uncertainty keeps the listing's order: no spreading from one end to the other.
    expect(reviewOrder([0, 1, 2, 3, 4].map((i) => image(i, 0.6))).map((i) => i.group)).toEqual(['i0', 'i1', 'i2', 'i3', 'i4']);
    // Neighbours in the listing are not held back.
    const order = reviewOrder([image(0, 0.3), image(1, 0.31), image(2, 0.9), image(3, 0.95)], { coverageWeight: 1 }).map((i) => i.group);
    expect(order).toEqual(['i0', 'i1', 'i2', 'i3']);
  });

  it('is deterministic and returns every non-empty group exactly once', () => {
    const groups: ReviewGroup[] = Array.from({ length: 60 }, (_, i) => steady(`g${i}`, i * 5, 1 + (i % 4), 0.3 + ((i * 37) % 60) / 100));
    groups.push({ group: 'empty', frames: [] });
    const first = reviewOrder(groups).map((i) => i.group);
    expect(reviewOrder(groups).map((i) => i.group)).toEqual(first);
    expect(new Set(first).size).toBe(60);
    expect(first).not.toContain('empty');
  });

  it('orders a few thousand groups quickly', () => {
    const groups: ReviewGroup[] = Array.from({ length: 3000 }, (_, i) => steady(`g${i}`, i, 1, ((i * 7919) % 1000) / 1000));
    const started = performance.now();
    expect(reviewOrder(groups)).toHaveLength(3000);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
