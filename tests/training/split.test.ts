import { describe, expect, it } from 'vitest';
import { groupSplit, stratifiedSplit } from '../../src/training/split.js';

describe('stratified split', () => {
  const labels = [...new Array(50).fill(0), ...new Array(20).fill(1), ...new Array(5).fill(2)];

  it('holds out about the requested fraction of every class', () => {
    const { train, validation } = stratifiedSplit(labels, 0.2, 3);
    const count = (idx: number[], c: number) => idx.filter((i) => labels[i] === c).length;
    expect([count(validation, 0), count(validation, 1), count(validation, 2)]).toEqual([10, 4, 1]);
    expect(train.length + validation.length).toBe(labels.length);
    expect(new Set([...train, ...validation]).size).toBe(labels.length);
  });

  it('gives the same split for the same seed and another for another seed', () => {
    expect(stratifiedSplit(labels, 0.2, 3)).toEqual(stratifiedSplit(labels, 0.2, 3));
    expect(stratifiedSplit(labels, 0.2, 3).validation).not.toEqual(stratifiedSplit(labels, 0.2, 4).validation);
  });

  it('keeps a class with a single image in training', () => {
    expect(stratifiedSplit([0, 0, 0, 1], 0.5, 1).validation).not.toContain(3);
  });
});

describe('group split', () => {
  // 30 groups of 1 to 4 consecutive frames, classes by group.
  const labels: number[] = [];
  const groups: string[] = [];
  for (let g = 0; g < 30; g++) for (let k = 0; k <= g % 4; k++) (labels.push(g % 3), groups.push(`g${g}`));

  it('never puts frames of one group on both sides', () => {
    const { train, validation } = groupSplit(labels, groups, 0.2, 5);
    const trainGroups = new Set(train.map((i) => groups[i]));
    for (const i of validation) expect(trainGroups.has(groups[i]!)).toBe(false);
    expect(train.length + validation.length).toBe(labels.length);
  });

  it('validates every class that has two or more groups, at about the requested share', () => {
    const { validation } = groupSplit(labels, groups, 0.2, 5);
    for (const c of [0, 1, 2]) {
      const share = validation.filter((i) => labels[i] === c).length / labels.filter((l) => l === c).length;
      expect(share).toBeGreaterThan(0.1);
      expect(share).toBeLessThan(0.45);
    }
  });

  it('keeps a class whose images all share one group in training', () => {
    const { validation } = groupSplit([0, 0, 1, 1, 0, 0], ['a', 'a', 'b', 'b', 'c', 'c'], 0.5, 1);
    expect(validation.some((i) => [2, 3].includes(i))).toBe(false);
  });

  it('is deterministic under its seed', () => {
    expect(groupSplit(labels, groups, 0.2, 9)).toEqual(groupSplit(labels, groups, 0.2, 9));
  });
});
