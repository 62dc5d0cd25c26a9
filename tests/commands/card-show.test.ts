import { describe, expect, it } from 'vitest';
import { runCliSync } from '../helpers/cli.js';
import { tmpFile } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { writeTinyModelWithUnreliableHeatmap } from '../helpers/unreliable-heatmap.js';

describe('rovlens card <model> without --head: shows the card', () => {
  it('marks a heatmap that points worse than the centre as unreliable, with the figures, and says it is off by default', () => {
    const model = writeTinyModelWithUnreliableHeatmap(tmpFile('card-show-unreliable')).modelPath;
    const run = runCliSync('card', model);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/head element: ripples, fauna, algae, waste, rocks/);
    expect(run.stdout).toMatch(
      /element heatmap unreliable: 37\.5 % vs centre 60\.0 % \(pointing game of the predicted class's map on 40 boxed images, model card\): off by default in annotate and live \(--heatmap shows it\)/,
    );
  });

  it("says when a card records no pointing game, and shows the bundled model's verdict", () => {
    const tiny = writeTinyModel(tmpFile('card-show-plain')).modelPath;
    expect(runCliSync('card', tiny).stdout).toMatch(/element heatmap: pointing game not measured/);
    const bundled = runCliSync('card', 'models/rovlens-default.onnx');
    expect(bundled.code).toBe(0);
    expect(bundled.stdout).toMatch(/element heatmap (un)?reliable: \d+\.\d % vs centre \d+\.\d %/);
  });

  it('asks for the heads when --scaling is given without them (exit 2)', () => {
    const tiny = writeTinyModel(tmpFile('card-show-plain')).modelPath;
    const run = runCliSync('card', tiny, '--scaling', 'unit');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--head: required/);
  });
});
