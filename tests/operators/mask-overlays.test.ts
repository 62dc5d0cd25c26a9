import { concat, firstValueFrom, from, Subject, throwError, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskOverlays } from '../../src/operators/mask-overlays.js';
import { OverlayMasker } from '../../src/overlay/masker.js';
import { decodeVideo } from '../../src/sources/ffmpeg.js';
import type { Frame, Rect } from '../../src/types.js';
import { cleanClip, CLOCK_BOX, hasFont, overlayClip, overlayOnlyClip, STATIC_TEXT_BOX } from '../helpers/overlay-clips.js';

const decode = (path: string) => firstValueFrom(decodeVideo(path, { everySeconds: 0.5 }).pipe(toArray()));

/** Mean absolute difference of two frames' pixels on the glyphs (lit pixels of `glyphs`) inside `box`. */
function differenceOnGlyphs(a: Frame, b: Frame, glyphs: Frame, box: Rect): number {
  let sum = 0;
  let n = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      const i = (y * a.width + x) * 3;
      if (glyphs.pixels[i]! < 128) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(a.pixels[i + c]! - b.pixels[i + c]!);
      n += 3;
    }
  }
  return sum / n;
}

describe.skipIf(!hasFont)('maskOverlays', () => {
  let withText: Frame[];
  let clean: Frame[];
  let glyphs: Frame[];

  beforeAll(async () => {
    [withText, clean, glyphs] = await Promise.all([decode(overlayClip('moving')), decode(cleanClip('moving')), decode(overlayOnlyClip())]);
  }, 60_000);

  it('holds frames for the first estimate, then gives every frame back in order with its text filled from the scene', async () => {
    const masker = new OverlayMasker({ windowFrames: 8 });
    const out = await firstValueFrom(from(withText).pipe(maskOverlays(masker), toArray()));
    expect(out.map((f) => f.index)).toEqual(withText.map((f) => f.index));
    expect(masker.framesMasked).toBe(withText.length);
    for (const [i, frame] of out.entries()) {
      for (const box of [STATIC_TEXT_BOX, CLOCK_BOX]) {
        // The text made the picture differ from the clean scene; the fill brings it much closer.
        const before = differenceOnGlyphs(withText[i]!, clean[i]!, glyphs[i]!, box);
        const after = differenceOnGlyphs(frame, clean[i]!, glyphs[i]!, box);
        expect(after).toBeLessThan(0.5 * before);
      }
    }
  });

  it('estimates from what arrived when the recording ends before the window fills', async () => {
    const masker = new OverlayMasker({ windowFrames: 50 });
    const out = await firstValueFrom(from(withText.slice(0, 6)).pipe(maskOverlays(masker), toArray()));
    expect(out).toHaveLength(6);
    expect(masker.current?.decided).toBe(true);
    expect(masker.framesMasked).toBe(6);
  });

  it('on a live feed lets frames through unmasked until the window has filled, then masks', async () => {
    const masker = new OverlayMasker({ windowFrames: 6, refresh: 'sliding' });
    const out = await firstValueFrom(from(withText).pipe(maskOverlays(masker, { holdUntilEstimated: false }), toArray()));
    expect(out.slice(0, 5).every((f, i) => f.pixels === withText[i]!.pixels)).toBe(true);
    expect(out.slice(5).every((f, i) => f.pixels !== withText[i + 5]!.pixels)).toBe(true);
    expect(masker.learning).toBe(true);
  });

  it('leaves a still scene untouched and says it could not tell', async () => {
    const masker = new OverlayMasker({ windowFrames: 8 });
    const still = await decode(overlayClip('still'));
    const out = await firstValueFrom(from(still).pipe(maskOverlays(masker), toArray()));
    expect(out.every((f, i) => f.pixels === still[i]!.pixels)).toBe(true);
    expect(masker.current?.decided).toBe(false);
  });
  describe('while the mask is made elsewhere (a pre-pass)', () => {
    /** A masker whose mask comes from `frames` once `finish` is called, as the timeline's pre-pass does it. */
    function preparing(frames: readonly Frame[]) {
      const masker = new OverlayMasker({ windowFrames: 8 });
      let finish!: () => void;
      masker.prepare(
        new Promise<void>((resolve) => (finish = resolve)).then(() => {
          for (const frame of frames) masker.observe(frame);
          masker.freeze();
        }),
      );
      return { masker, finish };
    }

    it('holds every frame, learns nothing from them, and masks them all with the finished mask', async () => {
      // The pre-pass sees the text clip; the run's own frames are the clean scene: had the operator
      // learnt from them, there would be nothing to mask and the frames would come back untouched.
      const { masker, finish } = preparing(withText);
      const run = new Subject<Frame>();
      const out: Frame[] = [];
      let completed = false;
      run.pipe(maskOverlays(masker)).subscribe({ next: (f) => out.push(f), complete: () => (completed = true) });
      for (const frame of clean.slice(0, 5)) run.next(frame);
      run.complete();
      await Promise.resolve();
      expect(out).toHaveLength(0);
      expect(completed).toBe(false);
      finish();
      await masker.pending;
      await new Promise((resolve) => setImmediate(resolve));
      expect(completed).toBe(true);
      expect(out.map((f) => f.index)).toEqual(clean.slice(0, 5).map((f) => f.index));
      expect(out.every((f, i) => f.pixels !== clean[i]!.pixels)).toBe(true);
      // The estimate is the pre-pass's: its window of text frames, none of the run's.
      expect(masker.current?.frames).toBe(Math.min(masker.windowFrames, withText.length));
    });

    it('lets frames through unmasked, at once, when the pre-pass found no frame to make a mask from', async () => {
      const { masker, finish } = preparing([]);
      finish();
      await masker.pending;
      const run = new Subject<Frame>();
      const out: Frame[] = [];
      run.pipe(maskOverlays(masker)).subscribe((f) => out.push(f));
      run.next(withText[0]!);
      // Not held for an estimate that can never come: with flow control, holding would stall the decoder.
      expect(out).toHaveLength(1);
      expect(out[0]!.pixels).toBe(withText[0]!.pixels);
      expect(masker.current).toBeUndefined();
    });

    it('on a decoding error gives back the frames before it, masked, then the error', async () => {
      const { masker, finish } = preparing(withText);
      const out: Frame[] = [];
      const collected = new Promise<Error>((resolve) =>
        concat(
          from(withText.slice(0, 3)),
          throwError(() => new Error('cut off')),
        )
          .pipe(maskOverlays(masker))
          .subscribe({ next: (f) => out.push(f), error: resolve }),
      );
      finish();
      expect((await collected).message).toBe('cut off');
      expect(out).toHaveLength(3);
      expect(out.every((f, i) => f.pixels !== withText[i]!.pixels)).toBe(true);
    });
  });
});
