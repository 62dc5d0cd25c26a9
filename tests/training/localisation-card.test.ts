import { describe, expect, it } from 'vitest';
import { localisationProvenance } from '../../src/training/localisation-card.js';

const entry = (n: number, pointing: number, maskIou: number, edge = 0) => ({ n, pointing, maskIou, boxIou: maskIou, edge });

describe('localisation figures for the model card', () => {
  const bench = {
    threshold: 0.5,
    images: 91,
    summary: {
      all: { labelled: entry(91, 0.527, 0.139, 0.385), activation: entry(91, 0.67, 0.241), centre: entry(91, 0.736, 0.326) },
      listed: { labelled: entry(22, 0.455, 0.145), centre: entry(22, 0.818, 0.286) },
      'single, < 30 %': { labelled: entry(40, 0.425, 0.194), 'score-cam': entry(40, 0.575, 0.272), centre: entry(40, 0.6, 0.185) },
    },
  };

  it('turns the bench summary into percentages with one decimal, per named subset, in the order asked', () => {
    const out = localisationProvenance(
      bench,
      { listed: 'boxed images in the validation split', all: 'all boxed images' },
      'boxes.csv',
      'some are training images',
    );
    expect(out.subsets.map((s) => s.subset)).toEqual(['boxed images in the validation split', 'all boxed images']);
    expect(out.subsets[1]!.labelledCam.pointingGamePercent).toBeCloseTo(52.7, 6);
    expect(out.subsets[1]!.centreBaseline.maskIouPercent).toBeCloseTo(32.6, 6);
    expect(out.subsets[1]!.images).toBe(91);
    expect(out.protocol).toMatch(/0\.5 x max/);
  });

  it('leaves out subsets the bench did not score and maps missing methods to null', () => {
    const out = localisationProvenance(bench, { 'single, < 5 %': 'tiny', listed: 'validation' }, 'boxes.csv', '');
    expect(out.subsets).toHaveLength(1);
    expect(out.subsets[0]!.meanActivation.pointingGamePercent).toBeNull();
  });

  it('adds the fallbacks the bench scored (with --fallbacks), and only those', () => {
    const out = localisationProvenance(bench, { 'single, < 30 %': 'single', all: 'all' }, 'boxes.csv', '');
    expect(out.subsets[0]).toMatchObject({ scoreCam: { pointingGamePercent: 57.5, maskIouPercent: 27.2 } });
    expect(out.subsets[0]).not.toHaveProperty('occlusion');
    expect(out.subsets[1]).not.toHaveProperty('scoreCam');
  });
});
