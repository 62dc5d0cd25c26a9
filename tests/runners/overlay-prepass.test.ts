/**
 * The overlay pre-pass picks the same frames for every run of a recording: exact frames at twelve
 * instants spread over it, or for a keyframes scan the keyframe at or before each instant, with
 * the exact frame where instants would share a keyframe.
 */
import { describe, expect, it } from 'vitest';
import { OverlayMasker } from '../../src/overlay/masker.js';
import { estimateRecordingOverlay } from '../../src/runners/overlay-prepass.js';
import { probeVideo } from '../../src/sources/probe.js';
import type { Frame } from '../../src/types.js';
import { CODECS, makeClip } from '../helpers/clips.js';

/** A masker that remembers the times of the frames it was shown. */
class Watching extends OverlayMasker {
  readonly seen: number[] = [];
  override observe(frame: Frame) {
    this.seen.push(frame.ptsSeconds);
    return super.observe(frame);
  }
}

const view = { crop: { widthFraction: 1, heightFraction: 1 }, size: { width: 32, height: 24 } };
// 12 s at 10 fps; keyframes every second (-g 10), or only the first (-g 1000).
const clip = (gop: number) =>
  makeClip(`prepass-g${gop}`, {
    width: 160,
    height: 120,
    seconds: 12,
    fps: 10,
    codec: [...CODECS.h264.slice(0, -2), '-g', String(gop), '-sc_threshold', '0'],
    ext: 'mp4',
  });

async function prepass(path: string, keyframesOnly: boolean): Promise<number[]> {
  const masker = new Watching();
  await estimateRecordingOverlay(masker, path, await probeVideo(path, { keyframes: false }), view, { keyframesOnly });
  expect(masker.learning).toBe(false);
  return masker.seen;
}

describe('estimateRecordingOverlay', () => {
  it('takes the exact frame at each of twelve instants spread over the recording', async () => {
    // Instants (i + 0.5) s: the frame at or after each, on a 0.1 s grid.
    expect(await prepass(clip(10), false)).toEqual(Array.from({ length: 12 }, (_, i) => i + 0.5));
  }, 60_000);

  it('in a keyframes scan takes the keyframe at or before each instant', async () => {
    expect(await prepass(clip(10), true)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  }, 60_000);

  it('in a keyframes scan takes exact frames where instants would share one keyframe', async () => {
    const seen = await prepass(clip(1000), true);
    expect(seen[0]).toBe(0);
    expect(seen.slice(1)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1.5));
  }, 60_000);
});
