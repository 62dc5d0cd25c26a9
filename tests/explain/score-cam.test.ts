import { describe, expect, it } from 'vitest';
import { channelMask, maskInput, strongestChannels, weightedMaps } from '../../src/explain/score-cam.js';

describe('strongestChannels', () => {
  // 4 channels of a 2x2 map: means 1, 3 (flat), 2, 0.5.
  const features = Float32Array.from([0, 2, 0, 2, 3, 3, 3, 3, 1, 3, 1, 3, 0, 0, 0, 2]);

  it('ranks channels by mean activation and leaves out flat ones (their mask hides all or nothing)', () => {
    expect(strongestChannels(features, 4, 4, 8)).toEqual([2, 0, 3]);
    expect(strongestChannels(features, 4, 4, 2)).toEqual([2, 0]);
  });
});

describe('channelMask', () => {
  it('scales the channel to 0..1 and upsamples it to the input size', () => {
    // Channel 1 of a 2x1 map: 5 then 9 -> 0 then 1; upsampled to 4x1 with half-pixel centres.
    const features = Float32Array.from([0, 0, 5, 9]);
    expect(Array.from(channelMask(features, 1, 2, 1, 4, 1))).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe('maskInput', () => {
  it('blends each tensor value towards the value of a black pixel by the mask', () => {
    // Two channels of 2 pixels; offsets -1 and 0 (black is -1 in [-1, 1] scaling).
    const input = Float32Array.from([1, 0.5, 0.8, 0.4]);
    const out = new Float32Array(6);
    maskInput(input, [-1, 0], Float32Array.from([0.5, 0]), out, 2);
    [0, 0, 0, -1, 0.4, 0].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
  });
});

describe('weightedMaps', () => {
  it('sums the chosen activation maps weighted by each class’s softmax score, class-major', () => {
    // 3 channels of 2 cells; channels 2 and 0 were chosen (in that order); 2 classes.
    const features = Float32Array.from([1, 0, 5, 5, 0, 2]);
    const weights = Float32Array.from([0.25, 0.75, 0.5, 0.5]); // row per chosen channel
    expect(Array.from(weightedMaps(features, 2, [2, 0], weights, 2))).toEqual([0.5, 0.5, 0.5, 1.5]);
  });

  it('rejects weights that do not match the channels and classes', () => {
    expect(() => weightedMaps(new Float32Array(4), 2, [0, 1], new Float32Array(3), 2)).toThrow(/expected 4 weights, got 3/);
  });
});
