import { describe, expect, it } from 'vitest';
import { segmentTrack, type TrackSample } from '../../src/sinks/segments.js';

const track = (labels: string, every = 1): TrackSample[] =>
  [...labels].map((l, i) => ({ ptsSeconds: i * every, label: l, confidence: 0.5 + i / 100 }));

describe('segmentTrack', () => {
  it('turns runs of the same label into segments that end where the next begins', () => {
    const segments = segmentTrack(track('aaabbc'), { smoothFlickers: false });
    expect(segments.map((s) => [s.label, s.startSeconds, s.endSeconds, s.frames])).toEqual([
      ['a', 0, 3, 3],
      ['b', 3, 5, 2],
      ['c', 5, 6, 1], // the last one lasts one sampling interval
    ]);
  });

  it('smooths a one-sample flicker between two samples that agree', () => {
    const segments = segmentTrack(track('aaabaaa'));
    expect(segments).toHaveLength(1);
    expect(segments[0]!.frames).toBe(7);
    // The relabelled sample's confidence belonged to 'b': it is not averaged into 'a'.
    expect(segments[0]!.meanConfidence).toBeCloseTo((0.5 + 0.51 + 0.52 + 0.54 + 0.55 + 0.56) / 6, 6);
  });

  it('keeps a two-sample change, which is not a flicker', () => {
    expect(segmentTrack(track('aaabbaaa')).map((s) => s.label)).toEqual(['a', 'b', 'a']);
  });

  it('merges segments shorter than the minimum into the one before, and a short first one into the next', () => {
    const segments = segmentTrack(track('abbbbbccdddddd'), { smoothFlickers: false, minSegmentSeconds: 3 });
    expect(segments.map((s) => [s.label, s.startSeconds, s.endSeconds])).toEqual([
      ['b', 0, 8],
      ['d', 8, 14],
    ]);
  });

  it('uses the sampling interval of the track for the last segment (every 2 s)', () => {
    const segments = segmentTrack(track('aab', 2), { smoothFlickers: false });
    expect(segments[1]).toMatchObject({ label: 'b', startSeconds: 4, endSeconds: 6 });
  });

  it('returns nothing for an empty track', () => {
    expect(segmentTrack([])).toEqual([]);
  });
});
