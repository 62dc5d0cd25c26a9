import { firstValueFrom, from, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { maskOverlays } from '../../src/operators/mask-overlays.js';
import { OverlayMasker } from '../../src/overlay/masker.js';
import { maskImage } from '../../src/overlay/overlay-mask.js';
import { decodeVideo } from '../../src/sources/ffmpeg.js';
import type { Rect } from '../../src/types.js';
import { describeWithData, sharedPath } from '../helpers/shared-data.js';

/** The burned-in telemetry of the 480x360 JAMSTEC clip, measured by eye on its frames (source pixels). */
const TELEMETRY_RIGHT: Rect = { x: 355, y: 26, width: 46, height: 32 }; // '1451 022 / 033 91', the part inside the 0.67 crop
const TELEMETRY_LEFT: Rect = { x: 80, y: 26, width: 50, height: 32 }; // '93-10-15 / 11:53:30', the part inside the crop

function whiteShare(image: Uint8Array, width: number, box: Rect): number {
  let white = 0;
  for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) white += image[y * width + x] ? 1 : 0;
  return white / (box.width * box.height);
}

describeWithData('overlay detection on real ROV footage (JAMSTEC deep-sea clip, burned-in telemetry)', () => {
  it('masks the telemetry text inside the model crop and under 5 % of the picture', async () => {
    const clip = sharedPath('clips/jamstec_trash_480x360.mp4');
    const frames = await firstValueFrom(
      decodeVideo(clip, { everySeconds: 1, crop: { widthFraction: 0.67, heightFraction: 1 }, outputSize: { width: 224, height: 224 } }).pipe(toArray()),
    );
    const masker = new OverlayMasker();
    await firstValueFrom(from(frames).pipe(maskOverlays(masker), toArray()));
    const estimate = masker.current!;
    expect(estimate.decided).toBe(true);
    const image = maskImage(estimate.mask, { width: 480, height: 360 });
    const share = image.reduce((a, b) => a + (b ? 1 : 0), 0) / image.length;
    expect(share).toBeLessThan(0.05);
    expect(whiteShare(image, 480, TELEMETRY_RIGHT)).toBeGreaterThan(0.4);
    expect(whiteShare(image, 480, TELEMETRY_LEFT)).toBeGreaterThan(0.2);
  }, 60_000);
});
