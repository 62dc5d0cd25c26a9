import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpFile } from '../helpers/clips.js';
import { hasFont, overlayClip, STATIC_TEXT_BOX } from '../helpers/overlay-clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

/** White pixels of a greyscale PNG inside and outside a box. */
async function whiteIn(path: string, box: { x: number; y: number; width: number; height: number }) {
  const { data, info } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
  let inside = 0;
  let outside = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if (data[(y * info.width + x) * info.channels]! < 128) continue;
      const within = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
      within ? inside++ : outside++;
    }
  }
  return { inside, outside, width: info.width, height: info.height };
}

describe.skipIf(!hasFont)('rovlens timeline --overlay-mask (spawned, tiny model, a clip with burned-in text)', () => {
  let model: string;
  let clip: string;
  beforeAll(() => {
    model = writeTinyModel(tmpFile('overlay-cli-model')).modelPath;
    clip = overlayClip('moving');
  });

  it('finds the overlay, fills it before inference, says how much in the summary and writes the mask at the video size', async () => {
    const mask = tmpFile('overlay-cli/mask.png');
    rmSync(mask, { force: true });
    const run = await runCli([
      'timeline',
      clip,
      '--model',
      model,
      '--every',
      '0.5',
      '-o',
      tmpFile('overlay-cli.csv'),
      '--save-overlay-mask',
      mask,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/overlay mask \(found\): \d+\.\d % of the model's view filled in 12 frames/);
    const white = await whiteIn(mask, STATIC_TEXT_BOX);
    expect([white.width, white.height]).toEqual([320, 240]);
    // The static line lies partly inside the model's centre crop: that part is masked, little else.
    expect(white.inside).toBeGreaterThan(500);
    expect(white.outside).toBeLessThan(white.inside);
  });

  it('applies a mask picture given with --overlay-mask, and masks nothing with off', async () => {
    const mask = tmpFile('overlay-cli/given.png');
    mkdirSync(join(mask, '..'), { recursive: true });
    const { x, y, width, height } = STATIC_TEXT_BOX;
    const canvas = Buffer.alloc(64 * 48);
    for (let row = Math.floor(y / 5); row < Math.ceil((y + height) / 5); row++)
      for (let col = Math.floor(x / 5); col < Math.ceil((x + width) / 5); col++) canvas[row * 64 + col] = 255;
    await sharp(canvas, { raw: { width: 64, height: 48, channels: 1 } })
      .png()
      .toFile(mask);
    const given = await runCli([
      'timeline',
      clip,
      '--model',
      model,
      '--every',
      '1',
      '--overlay-mask',
      mask,
      '-o',
      tmpFile('overlay-given.csv'),
    ]);
    expect(given.code).toBe(0);
    expect(given.stderr).toMatch(/overlay mask \(.*given\.png\): \d+\.\d % of the model's view filled in 6 frames/);
    const off = await runCli([
      'timeline',
      clip,
      '--model',
      model,
      '--every',
      '1',
      '--overlay-mask',
      'off',
      '-o',
      tmpFile('overlay-off.csv'),
    ]);
    expect(off.code).toBe(0);
    expect(off.stderr).not.toMatch(/overlay mask/);
  });

  it('says in one line that a mask picture is missing (exit 3) and that off has no mask to save (exit 2)', async () => {
    const missing = await runCli(['timeline', clip, '--model', model, '--overlay-mask', 'no-such-mask.png']);
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/--overlay-mask: no-such-mask\.png does not exist/);
    const save = tmpFile('overlay-cli/never.png');
    const off = await runCli(['timeline', clip, '--model', model, '--overlay-mask', 'off', '--save-overlay-mask', save]);
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/--save-overlay-mask: there is no mask with --overlay-mask off/);
    expect(existsSync(save)).toBe(false);
  });
});
