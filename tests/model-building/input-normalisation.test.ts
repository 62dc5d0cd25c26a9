import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addInputNormalisation, referenceStatistics } from '../../src/model-building/input-normalisation.js';
import { readModel, writeModel } from '../../src/model-building/onnx-graph.js';
import { framesToTensor } from '../../src/model/preprocess.js';
import { ModelSession } from '../../src/model/session.js';
import type { Frame } from '../../src/types.js';
import { solidFrame, withPatch } from '../helpers/frames.js';
import { TINY_SIZE, writeTinyModel } from '../helpers/tiny-model.js';

const picture = withPatch(
  withPatch(solidFrame(TINY_SIZE, TINY_SIZE, [60, 90, 110]), { x: 8, y: 16, width: 16, height: 16 }, [200, 190, 170]),
  { x: 40, y: 40, width: 16, height: 16 },
  [150, 40, 30],
);
/** The picture with each pixel value passed through f (rounded, as a decoder would). */
const mapped = (frame: Frame, f: (v: number) => number): Frame => ({ ...frame, pixels: frame.pixels.map((v) => Math.round(f(v))) });

describe('referenceStatistics', () => {
  it('averages each channel’s per-picture mean and standard deviation', () => {
    // Two 1x2 pictures: channel 0 is (0, 2) then (4, 4); channels 1 and 2 are constant 1.
    const pictures = Float32Array.from([0, 2, 1, 1, 1, 1, 4, 4, 1, 1, 1, 1]);
    const r = referenceStatistics(pictures, 2, 1, 2);
    expect(r.mean).toEqual([2.5, 1, 1]);
    expect(r.std).toEqual([0.5, 0, 0]);
  });
});

describe('a model that normalises its input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-normalise-'));
  const tiny = writeTinyModel(join(dir, 'plain'));
  let plain: ModelSession;
  let normalised: ModelSession;
  let own: ModelSession;

  beforeAll(async () => {
    const write = (name: string, reference: Parameters<typeof addInputNormalisation>[2]) => {
      const model = readModel(tiny.modelPath);
      addInputNormalisation(model, 'image', reference);
      const path = join(dir, `${name}.onnx`);
      writeModel(path, model);
      writeFileSync(join(dir, `${name}.card.json`), JSON.stringify({ ...tiny.card, file: `${name}.onnx` }));
      return ModelSession.open(path);
    };
    plain = await ModelSession.open(tiny.modelPath);
    normalised = await write('normalised', { mean: [0.3, 0.4, 0.45], std: [0.12, 0.13, 0.14] });
    // Reference = the test picture's own statistics: the edit must then leave that picture as it is.
    const { data } = framesToTensor([picture], tiny.card);
    own = await write('own', referenceStatistics(data, 1, TINY_SIZE, TINY_SIZE));
  });
  afterAll(async () => Promise.all([plain, normalised, own].map((m) => m?.close())));

  const logits = async (model: ModelSession, frame: Frame) => {
    const { data, dims } = framesToTensor([frame], tiny.card);
    return Array.from((await model.run(data, dims, ['floor_logits', 'element_logits'])).element_logits!.data);
  };

  it('gives the same answer whatever the exposure and contrast, where the plain model does not', async () => {
    const base = await logits(normalised, picture);
    for (const f of [(v: number) => v * 0.6, (v: number) => 128 + (v - 128) * 1.2, (v: number) => 128 + (v - 128) * 0.6]) {
      const changed = await logits(normalised, mapped(picture, f));
      // Rounding to whole pixel values is the only difference left.
      changed.forEach((v, i) => expect(v).toBeCloseTo(base[i]!, 1));
    }
    const plainBase = await logits(plain, picture);
    const plainDark = await logits(
      plain,
      mapped(picture, (v) => v * 0.6),
    );
    expect(Math.max(...plainDark.map((v, i) => Math.abs(v - plainBase[i]!)))).toBeGreaterThan(0.5);
  });

  it('leaves a picture that already has the reference statistics unchanged', async () => {
    const before = await logits(plain, picture);
    const after = await logits(own, picture);
    // Up to the epsilon added to the variance (it keeps a flat picture finite): 0.1 % here.
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 2));
  });

  it('refuses to normalise twice', () => {
    const model = readModel(tiny.modelPath);
    addInputNormalisation(model, 'image', { mean: [0, 0, 0], std: [1, 1, 1] });
    expect(() => addInputNormalisation(model, 'image', { mean: [0, 0, 0], std: [1, 1, 1] })).toThrow(/already normalises/);
  });
});
