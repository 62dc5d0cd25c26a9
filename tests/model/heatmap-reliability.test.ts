import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { heatmapReliability, heatmapsOn, reliabilityMark } from '../../src/model/heatmap-reliability.js';
import { DEFAULT_MODEL } from '../../src/paths.js';

const DEFAULT_CARD = DEFAULT_MODEL.replace(/\.onnx$/, '.card.json');

const cardWith = (subsets: unknown[]) => ({ provenance: { localisation: { subsets } } });
const row = (subset: string, predicted: number | undefined, labelled: number, centre: number) => ({
  subset,
  images: 40,
  labelledCam: { pointingGamePercent: labelled },
  ...(predicted !== undefined ? { predictedCam: { pointingGamePercent: predicted } } : {}),
  centreBaseline: { pointingGamePercent: centre },
});

describe('heatmapReliability', () => {
  it("judges the predicted class's map (what a user sees) on the single-instance subset first", () => {
    const r = heatmapReliability(cardWith([row('all boxed images', 80, 80, 70), row('single instance, box < 30 %', 37.5, 42.5, 60)]))!;
    expect(r).toMatchObject({ reliable: false, heatmapPercent: 37.5, centrePercent: 60, map: 'predicted class', images: 40 });
    expect(reliabilityMark(r)).toBe('unreliable: 37.5 % vs centre 60.0 %');
  });

  it("falls back to all boxed images and the labelled class's map, and calls a map that beats the centre reliable", () => {
    const r = heatmapReliability(cardWith([row('all boxed images', undefined, 75, 70)]))!;
    expect(r).toMatchObject({ reliable: true, heatmapPercent: 75, map: 'labelled class' });
    expect(reliabilityMark(r)).toBe('reliable: 75.0 % vs centre 70.0 %');
  });

  it('counts a tie with the centre as unreliable: the heatmap must beat a guess', () => {
    expect(heatmapReliability(cardWith([row('single', 60, 60, 60)]))!.reliable).toBe(false);
  });

  it('says nothing for a card without a pointing game (a model made elsewhere), which keeps its heatmaps', () => {
    expect(heatmapReliability({ provenance: {} })).toBeUndefined();
    expect(heatmapReliability(cardWith([{ subset: 'all', images: 3 }]))).toBeUndefined();
    expect(heatmapsOn(undefined, undefined)).toBe(true);
  });

  it('turns heatmaps off by default where they are unreliable, and on when asked', () => {
    const unreliable = heatmapReliability(cardWith([row('single', 37.5, 42.5, 60)]));
    expect(heatmapsOn(undefined, unreliable)).toBe(false);
    expect(heatmapsOn(true, unreliable)).toBe(true);
    expect(heatmapsOn(false, undefined)).toBe(false);
  });

  it("reads the bundled model's card: its heatmap points worse than the centre", () => {
    const card = JSON.parse(readFileSync(DEFAULT_CARD, 'utf8'));
    const r = heatmapReliability(card)!;
    expect(r.reliable).toBe(false);
    expect(r.heatmapPercent).toBeLessThan(r.centrePercent);
  });
});
