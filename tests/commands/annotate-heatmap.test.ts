import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { CODECS, makeClip, tmpFile } from '../helpers/clips.js';
import { writeTinyModelWithUnreliableHeatmap } from '../helpers/unreliable-heatmap.js';

describe('rovlens annotate with a model whose heatmap points worse than the centre (card says so)', () => {
  let model: string;
  let clip: string;
  beforeAll(() => {
    model = writeTinyModelWithUnreliableHeatmap(tmpFile('unreliable-heatmap-model')).modelPath;
    clip = makeClip('annotate-heatmap-160x120-2s', { width: 160, height: 120, seconds: 2, fps: 10, codec: [...CODECS.h264], ext: 'mp4' });
  });

  it('leaves the heatmap off by default and says why, with the figures', async () => {
    const out = tmpFile('annotate-heatmap/off/');
    const run = await runCli(['annotate', clip, '--model', model, '-o', out, '--overlay-mask', 'off']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/2 frames annotated .*\(heatmap: off, unreliable: 37\.5 % vs centre 60\.0 %; --heatmap draws it\)/);
    expect(readdirSync(out)).toHaveLength(2);
  });

  it('draws it with --heatmap, still marked unreliable', async () => {
    const run = await runCli([
      'annotate',
      clip,
      '--model',
      model,
      '-o',
      tmpFile('annotate-heatmap/on/'),
      '--overlay-mask',
      'off',
      '--heatmap',
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/\(heatmap: gradcam, unreliable: 37\.5 % vs centre 60\.0 %\)/);
  });
});
