/**
 * `runLive` on a file played like a camera, with burned-in text: the overlay mask is estimated as
 * the feed runs, reported at the end and written on request; a bad mask picture fails up front.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLiveOptions } from '../../src/config/live.js';
import { runLive } from '../../src/runners/live.js';
import { hasFont, overlayClip, STATIC_TEXT_BOX } from '../helpers/overlay-clips.js';
import { writeTinyModel, type TinyModel } from '../helpers/tiny-model.js';

describe.skipIf(!hasFont)('runLive with burned-in overlays', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-live-overlay-'));
  const mask = join(dir, 'live-mask.png');
  const notices: string[] = [];
  let tiny: TinyModel;

  beforeAll(async () => {
    tiny = writeTinyModel(dir);
    const options = parseLiveOptions({
      server: { port: 0 },
      source: { realtime: true },
      pipeline: { model: tiny.modelPath, saveOverlayMask: mask },
    });
    await runLive(overlayClip('moving'), options, { handleSignals: false, notice: (line) => notices.push(line) });
  }, 60_000);

  it('estimates the mask while the feed runs, says how much it filled, and writes it at the source size', async () => {
    expect(notices.join('\n')).toMatch(/rovlens live: overlay mask \(found\): \d+\.\d % of the model's view filled in \d+ frames/);
    const { data, info } = await sharp(mask).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([320, 240]);
    let inText = 0;
    const { x, y, width, height } = STATIC_TEXT_BOX;
    for (let row = y; row < y + height; row++) for (let col = x; col < x + width; col++) if (data[(row * 320 + col) * info.channels]! > 128) inText++;
    expect(inText).toBeGreaterThan(300);
  });

  it('fails before opening the port when the mask picture is missing', async () => {
    const options = parseLiveOptions({ server: { port: 0 }, pipeline: { model: tiny.modelPath, overlayMask: join(dir, 'none.png') } });
    await expect(runLive(overlayClip('moving'), options, { handleSignals: false, notice: () => undefined })).rejects.toThrow(
      /--overlay-mask: .*none\.png does not exist/,
    );
    expect(existsSync(join(dir, 'none.png'))).toBe(false);
  });
});
