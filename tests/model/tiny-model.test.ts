import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelSession } from '../../src/model/session.js';
import { predictBatch } from '../../src/model/predict.js';
import { framesToTensor } from '../../src/model/preprocess.js';
import type { Frame } from '../../src/types.js';
import { writeTinyModel, TINY_SIZE } from '../helpers/tiny-model.js';
import { solidFrame } from '../helpers/frames.js';

describe('tiny test model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-tiny-'));
  const tiny = writeTinyModel(dir);

  it('loads in ONNX Runtime and answers as its hand-made weights say', async () => {
    const model = await ModelSession.open(tiny.modelPath);
    const [bright, dark, green] = await predictBatch(model, [
      solidFrame(TINY_SIZE, TINY_SIZE, [230, 230, 230]),
      solidFrame(TINY_SIZE, TINY_SIZE, [10, 10, 10]),
      solidFrame(TINY_SIZE, TINY_SIZE, [20, 200, 20]),
    ]);
    expect(bright!.heads.floor!.label).toBe('sandy');
    expect(bright!.heads.element!.label).toBe('rocks');
    expect(dark!.heads.floor!.label).toBe('muddy');
    expect(green!.heads.element!.label).toBe('algae');
    expect(bright!.embedding).toHaveLength(16);
    expect(bright!.cams!.element!.width).toBe(TINY_SIZE / 8);
    await model.close();
  });

  it('has CAM maps whose spatial mean equals the logits (its biases are zero)', async () => {
    const model = await ModelSession.open(tiny.modelPath);
    const frame: Frame = solidFrame(TINY_SIZE, TINY_SIZE, [120, 60, 200]);
    const [result] = await predictBatch(model, [frame]);
    const { data, dims } = framesToTensor([frame], model.card);
    const out = await model.run(data, dims, ['element_logits']);
    const cam = result!.cams!.element!;
    const cells = cam.width * cam.height;
    for (let c = 0; c < cam.classes; c++) {
      let sum = 0;
      for (let i = 0; i < cells; i++) sum += cam.data[c * cells + i]!;
      expect(sum / cells).toBeCloseTo(out.element_logits!.data[c]!, 4);
    }
    await model.close();
  });
});
