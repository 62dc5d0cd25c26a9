import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/random.js';
import {
  EmbeddingMean,
  groupConsensus,
  MAX_COVER_GROUPS,
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

  /** An image group: one picture in `folder`, predicting `element` (floor 'muddy') at `confidence`. */
  const picture = (group: string, folder: string, confidence: number, element = 'fauna'): ReviewGroup => ({
    group,
    frames: [frame(undefined, ['muddy', confidence], [element, confidence], `/data/${folder}/${group}.jpg`)],
  });

  it('spreads its first groups over image folders: one camera doubted most does not fill the start', () => {
    // The six most uncertain groups all come from one camera; the other camera's best is a little surer.
    const groups = [
      ...[0.3, 0.31, 0.32, 0.33, 0.34, 0.35].map((c, i) => picture(`a${i}`, 'camera-a', c)),
      picture('b0', 'camera-b', 0.4),
      picture('b1', 'camera-b', 0.42),
    ];
    const first3 = reviewOrder(groups, { sourceWeight: 1, labelWeight: 0 })
      .slice(0, 3)
      .map((i) => i.group);
    expect(first3).toEqual(['a0', 'b0', 'a1']);
    // Uncertainty alone takes camera a's six first.
    expect(
      reviewOrder(groups, { sourceWeight: 0, labelWeight: 0 })
        .slice(0, 6)
        .map((i) => i.group),
    ).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
  });

  it('spreads over sources and predicted labels by default', () => {
    const groups = [
      ...[0.3, 0.31, 0.32, 0.33, 0.34, 0.35].map((c, i) => picture(`a${i}`, 'camera-a', c)),
      picture('b0', 'camera-b', 0.4),
      picture('a-waste', 'camera-a', 0.4, 'waste'),
    ];
    const first3 = reviewOrder(groups)
      .slice(0, 3)
      .map((i) => i.group);
    expect(first3).toContain('b0');
    expect(first3).toContain('a-waste');
  });

  it('spreads over recordings too, and keeps the coverage of each', () => {
    const groups = [
      steady('a0', 0, 2, 0.3, 'a.mp4'),
      steady('a1', 300, 2, 0.3, 'a.mp4'),
      steady('a2', 600, 2, 0.3, 'a.mp4'),
      steady('b0', 0, 2, 0.4, 'b.mp4'),
    ];
    const order = reviewOrder(groups, { sourceWeight: 1, labelWeight: 0 }).map((i) => i.group);
    expect(order.indexOf('b0')).toBeLessThan(order.indexOf('a1'));
    expect(order.indexOf('b0')).toBeLessThan(order.indexOf('a2'));
    // Within recording a, coverage still holds: its far end before its middle.
    expect(order.filter((g) => g.startsWith('a'))).toEqual(['a0', 'a2', 'a1']);
  });

  it('spreads over predicted labels: a label already heading the queue makes the next group of it wait', () => {
    const groups = [
      ...[0.3, 0.31, 0.32, 0.33].map((c, i) => picture(`fauna${i}`, 'camera', c, 'fauna')),
      picture('waste0', 'camera', 0.4, 'waste'),
    ];
    const spread = reviewOrder(groups, { sourceWeight: 0, labelWeight: 1 }).map((i) => i.group);
    expect(spread.slice(0, 2)).toEqual(['fauna0', 'waste0']);
    expect(
      reviewOrder(groups, { sourceWeight: 0, labelWeight: 0 })
        .map((i) => i.group)
        .indexOf('waste0'),
    ).toBe(4);
  });

  it('keeps the most uncertain first within a stratum', () => {
    const groups = [
      picture('a-sure', 'camera-a', 0.9),
      picture('b-unsure', 'camera-b', 0.38, 'waste'),
      picture('a-mid', 'camera-a', 0.32),
      picture('a-unsure', 'camera-a', 0.3),
      picture('b-sure', 'camera-b', 0.85, 'waste'),
    ];
    // Camera b's best comes second, ahead of camera a's runner-up; each camera's groups stay in order.
    expect(reviewOrder(groups, { sourceWeight: 1, labelWeight: 1 }).map((i) => i.group)).toEqual([
      'a-unsure',
      'b-unsure',
      'a-mid',
      'b-sure',
      'a-sure',
    ]);
  });

  it('still lets a much more uncertain group of a queued source and label go before a sure one of a new stratum', () => {
    const groups = [picture('a0', 'camera-a', 0.1), picture('a1', 'camera-a', 0.15), picture('b0', 'camera-b', 0.95, 'waste')];
    expect(reviewOrder(groups, { sourceWeight: 1, labelWeight: 1 }).map((i) => i.group)).toEqual(['a0', 'a1', 'b0']);
  });

  it('changes nothing with one source and one predicted label, whatever the spread weights', () => {
    const groups = [0.5, 0.3, 0.7, 0.3, 0.6].map((c, i) => picture(`g${i}`, 'camera', c));
    const plain = reviewOrder(groups, { sourceWeight: 0, labelWeight: 0 }).map((i) => i.group);
    expect(reviewOrder(groups, { sourceWeight: 1, labelWeight: 1 }).map((i) => i.group)).toEqual(plain);
    expect(plain).toEqual(['g1', 'g3', 'g0', 'g4', 'g2']);
  });

  it('is deterministic across sources and labels, and queues every group once', () => {
    const elements = ['fauna', 'waste', 'rocks'];
    const groups = Array.from({ length: 90 }, (_, i) =>
      picture(`g${i}`, `camera-${i % 4}`, 0.3 + ((i * 37) % 60) / 100, elements[(i * 7) % 3]),
    );
    const first = reviewOrder(groups, { sourceWeight: 0.5, labelWeight: 0.5 }).map((i) => i.group);
    expect(reviewOrder([...groups], { sourceWeight: 0.5, labelWeight: 0.5 }).map((i) => i.group)).toEqual(first);
    expect(new Set(first).size).toBe(90);
  });

  it('is deterministic and returns every non-empty group exactly once', () => {
    const groups: ReviewGroup[] = Array.from({ length: 60 }, (_, i) => steady(`g${i}`, i * 5, 1 + (i % 4), 0.3 + ((i * 37) % 60) / 100));
    groups.push({ group: 'empty', frames: [] });
    const first = reviewOrder(groups).map((i) => i.group);
    expect(reviewOrder(groups).map((i) => i.group)).toEqual(first);
    expect(new Set(first).size).toBe(60);
    expect(first).not.toContain('empty');
  });

  /** A unit vector near axis `axis` of 8 dimensions, tilted by `tilt` towards the next axis. */
  const direction = (axis: number, tilt = 0): Float32Array => {
    const v = new Float32Array(8);
    v[axis] = Math.cos(tilt);
    v[(axis + 1) % 8] = Math.sin(tilt);
    return v;
  };
  const looking = (group: ReviewGroup, embedding: Float32Array): ReviewGroup => ({ ...group, embedding });

  it('with representativeness, starts in the crowd of look-alike groups and then leaves it for the odd one out', () => {
    // Five groups that look alike (a seabed the camera crossed for long) and one that looks different,
    // the crowd a little surer than the odd one: uncertainty alone would start with the odd one and
    // then go through the crowd.
    const crowd = [0, 1, 2, 3, 4].map((i) => looking(picture(`c${i}`, 'cam', 0.5 - i * 0.001), direction(0, i * 0.01)));
    const odd = looking(picture('odd', 'cam', 0.45), direction(4));
    const groups = [...crowd, odd];
    // The radius (the 0.7 quantile of the 15 pairs' distances) takes in the whole crowd and nothing else.
    const options = { sourceWeight: 0, labelWeight: 0, coverQuantile: 0.7 };
    expect(reviewOrder(groups, { ...options, representativeWeight: 0 }).map((i) => i.group)).toEqual(['odd', 'c4', 'c3', 'c2', 'c1', 'c0']);
    const order = reviewOrder(groups, { ...options, representativeWeight: 1 }).map((i) => i.group);
    // The crowd's most uncertain first (it covers five groups, the odd one only itself), then the odd
    // one (the crowd is covered: nothing left gains more), then the rest of the crowd by uncertainty.
    expect(order).toEqual(['c4', 'odd', 'c3', 'c2', 'c1', 'c0']);
  });

  it('ignores representativeness unless every group has an embedding of the same length', () => {
    const groups = [0.3, 0.4, 0.5, 0.6].map((c, i) => picture(`g${i}`, 'cam', c));
    const plain = reviewOrder(groups, { representativeWeight: 0 }).map((i) => i.group);
    expect(reviewOrder(groups, { representativeWeight: 1 }).map((i) => i.group)).toEqual(plain);
    const some = groups.map((g, i) => (i < 3 ? looking(g, direction(0)) : g));
    expect(reviewOrder(some, { representativeWeight: 1 }).map((i) => i.group)).toEqual(plain);
    const mixed = groups.map((g, i) => looking(g, i < 3 ? direction(0) : new Float32Array(4).fill(0.5)));
    expect(reviewOrder(mixed, { representativeWeight: 1 }).map((i) => i.group)).toEqual(plain);
  });

  it('queues every group once with representativeness, deterministically', () => {
    const groups = Array.from({ length: 120 }, (_, i) =>
      looking(picture(`g${i}`, `camera-${i % 3}`, 0.3 + ((i * 37) % 60) / 100), direction(i % 8, ((i * 13) % 10) / 20)),
    );
    const first = reviewOrder(groups, { representativeWeight: 1, coverQuantile: 0.1 }).map((i) => i.group);
    expect(reviewOrder([...groups], { representativeWeight: 1, coverQuantile: 0.1 }).map((i) => i.group)).toEqual(first);
    expect(new Set(first).size).toBe(120);
  });

  it('orders a few thousand groups quickly', () => {
    const groups: ReviewGroup[] = Array.from({ length: 3000 }, (_, i) => steady(`g${i}`, i, 1, ((i * 7919) % 1000) / 1000));
    const started = performance.now();
    expect(reviewOrder(groups)).toHaveLength(3000);
    expect(performance.now() - started).toBeLessThan(5000);
    // With embeddings, up to MAX_COVER_GROUPS: the radius from a sample of the two million pairs, the
    // cover from all of them.
    const random = seededRandom(7);
    const withEmbeddings = groups.map((g) => {
      const mean = new EmbeddingMean();
      mean.add(Float32Array.from({ length: 64 }, () => random() - 0.5));
      return { ...g, embedding: mean.value()! };
    });
    const covered = withEmbeddings.slice(0, MAX_COVER_GROUPS);
    const again = performance.now();
    const order = reviewOrder(covered, { representativeWeight: 1 }).map((i) => i.group);
    expect(performance.now() - again).toBeLessThan(10000);
    expect(new Set(order).size).toBe(MAX_COVER_GROUPS);
    expect(order).not.toEqual(reviewOrder(covered, { representativeWeight: 0 }).map((i) => i.group));
    // Beyond it, representativeness is left out: the order is the one without it.
    expect(reviewOrder(withEmbeddings, { representativeWeight: 1 }).map((i) => i.group)).toEqual(
      reviewOrder(withEmbeddings, { representativeWeight: 0 }).map((i) => i.group),
    );
  });
});

describe('EmbeddingMean', () => {
  it("is the mean of the frames' embeddings, L2-normalised", () => {
    const mean = new EmbeddingMean();
    mean.add(Float32Array.from([2, 0, 0]));
    mean.add(Float32Array.from([0, 2, 0]));
    const v = [...mean.value()!];
    expect(v[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(v[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(v[2]).toBe(0);
  });

  it('has no value without frames, with frames of different lengths, or when they sum to zero', () => {
    expect(new EmbeddingMean().value()).toBeUndefined();
    const mixed = new EmbeddingMean();
    mixed.add(new Float32Array(3).fill(1));
    mixed.add(new Float32Array(4).fill(1));
    expect(mixed.value()).toBeUndefined();
    const zero = new EmbeddingMean();
    zero.add(new Float32Array(3));
    expect(zero.value()).toBeUndefined();
  });
});
