import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatLeaveOneSourceOut, leaveOneSourceOut, sourceWeights, type LeaveOneSourceOutReport } from '../../src/training/leave-one-source-out.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { writeSources } from './fixtures.js';

describe('leaveOneSourceOut (tiny model, generated sources)', () => {
  let report: LeaveOneSourceOutReport;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rovlens-loso-'));
    const model = writeTinyModel(join(dir, 'model')).modelPath;
    const manifest = await writeSources(join(dir, 'data'));
    report = await leaveOneSourceOut({ model, data: manifest, task: 'floor', minImages: 10, cacheDir: false, options: { epochs: 200 } });
  }, 60_000);

  it('holds out each source with enough images, training on all the others', () => {
    const floor = report.heads.find((h) => h.head === 'floor')!;
    expect(floor.folds.map((f) => [f.source, f.images, f.trainImages])).toEqual([
      ['c', 18, 28],
      ['a', 12, 34],
      ['b', 12, 34],
    ]);
    expect(floor.skipped).toEqual([{ source: 'd', images: 4 }]);
  });

  it('scores sources whose classes the others have well, and a class only the held-out source has as never right', () => {
    const folds = Object.fromEntries(report.heads[0]!.folds.map((f) => [f.source, f]));
    expect(folds.a!.heldOut.weightedAccuracy).toBeGreaterThan(0.9);
    expect(folds.b!.heldOut.weightedAccuracy).toBeGreaterThan(0.9);
    expect(folds.c!.unseenClasses).toEqual(['reef']);
    expect(folds.c!.heldOut.perClass.find((c) => c.label === 'reef')!.recall).toBe(0);
    expect(folds.a!.unseenClasses).toEqual([]);
  });

  it('prints one table per head with the held-out and the shipped figures, and the sources left out', () => {
    const text = formatLeaveOneSourceOut(report);
    expect(text).toMatch(/\| c \| 18 \| 28 \| \d+\.\d \| \d+\.\d \| \d+\.\d \| reef \|/);
    expect(text).toMatch(/below 10 images \(no fold\): d 4/);
  });
});

describe('sourceWeights', () => {
  it('gives every source the same total weight, averaging 1 per image', () => {
    const w = sourceWeights(['a', 'a', 'a', 'b']);
    expect([...w]).toEqual([2 / 3, 2 / 3, 2 / 3, 2].map((x) => Math.fround(x)));
    expect(w[0]! * 3).toBeCloseTo(w[3]!, 5);
  });
});
