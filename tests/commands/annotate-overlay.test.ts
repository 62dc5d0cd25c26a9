import { existsSync, rmSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpFile } from '../helpers/clips.js';
import { hasFont, overlayClip } from '../helpers/overlay-clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

describe.skipIf(!hasFont)('rovlens annotate --overlay-mask (spawned, tiny model)', () => {
  let model: string;
  beforeAll(() => {
    model = writeTinyModel(tmpFile('annotate-overlay-model')).modelPath;
  });

  it('masks the burned-in text before the heatmap, says so in the summary and writes the mask on request', async () => {
    const mask = tmpFile('annotate-overlay/mask.png');
    rmSync(mask, { force: true });
    const run = await runCli([
      'annotate',
      overlayClip('moving'),
      '--model',
      model,
      '--every',
      '0.5',
      '-o',
      tmpFile('annotate-overlay/frames/'),
      '--save-overlay-mask',
      mask,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/12 frames annotated .*overlay mask \(found\): \d+\.\d % of the model's view filled in 12 frames/);
    const meta = await sharp(mask).metadata();
    expect([meta.width, meta.height]).toEqual([320, 240]);
  });

  it('refuses to save a mask with --overlay-mask off (exit 2), writing nothing', async () => {
    const mask = tmpFile('annotate-overlay/never.png');
    const run = await runCli([
      'annotate',
      overlayClip('moving'),
      '--model',
      model,
      '-o',
      tmpFile('annotate-overlay/off/'),
      '--overlay-mask',
      'off',
      '--save-overlay-mask',
      mask,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(mask)).toBe(false);
  });
});
