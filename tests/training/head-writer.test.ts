import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { loadModelCard } from '../../src/model/card.js';
import { readModel, valueInfo, writeModel } from '../../src/model-building/onnx-graph.js';
import { framesToTensor } from '../../src/model/preprocess.js';
import { ModelSession } from '../../src/model/session.js';
import { seededRandom } from '../../src/random.js';
import { checkHeadShapes, writeTrainedModel } from '../../src/training/head-writer.js';
import { applyHead, type LinearHead } from '../../src/training/softmax-regression.js';
import { solidFrame, withPatch } from '../helpers/frames.js';
import { TINY_SIZE, writeTinyModel } from '../helpers/tiny-model.js';

const K = 16; // the tiny model's feature channels

function randomHead(classes: number, seed: number): LinearHead {
  const random = seededRandom(seed);
  return {
    weight: Float32Array.from({ length: classes * K }, () => (random() - 0.5) * 4),
    bias: Float32Array.from({ length: classes }, () => random() - 0.5),
    classes,
    features: K,
  };
}

const frames = [
  withPatch(solidFrame(TINY_SIZE, TINY_SIZE, [20, 30, 40]), { x: 8, y: 16, width: 24, height: 16 }, [230, 200, 90]),
  solidFrame(TINY_SIZE, TINY_SIZE, [180, 40, 60]),
  withPatch(solidFrame(TINY_SIZE, TINY_SIZE, [30, 160, 40]), { x: 40, y: 0, width: 24, height: 64 }, [250, 250, 250]),
];

describe('head writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-heads-'));
  const tiny = writeTinyModel(join(dir, 'base'));
  const heads = { floor: randomHead(4, 1), element: randomHead(5, 2) };
  const out = join(dir, 'trained.onnx');
  const written = writeTrainedModel(
    tiny.modelPath,
    tiny.card,
    { floor: { head: heads.floor, uncertainBelow: 0.4 }, element: { head: heads.element, uncertainBelow: 0.5 } },
    out,
    { name: 'trained' },
  );

  it('writes a model whose logits in ONNX Runtime equal the head applied in TypeScript to the embedding', async () => {
    const model = await ModelSession.open(written.modelPath);
    const { data, dims } = framesToTensor(frames, model.card);
    const result = await model.run(data, dims, ['embedding', 'floor_logits', 'element_logits']);
    const embedding = result.embedding!.data;
    for (const [name, head] of Object.entries(heads)) {
      const expected = applyHead(head, embedding);
      const got = result[`${name}_logits`]!.data;
      expect(got.length).toBe(expected.length);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - expected[i]!)).toBeLessThan(1e-4);
    }
    await model.close();
  });

  it('writes CAM weights so that each CAM map equals W . A (the feature maps) within 1e-5', async () => {
    // Expose the feature maps A as an extra output of a copy of the written graph.
    const graph = readModel(written.modelPath);
    graph.graph!.output!.push(valueInfo('features', ['N', K, 'h', 'w']));
    const probe = join(dir, 'probe.onnx');
    writeModel(probe, graph);
    writeFileSync(join(dir, 'probe.card.json'), JSON.stringify({ ...written.card, file: 'probe.onnx' }));
    const model = await ModelSession.open(probe);
    const { data, dims } = framesToTensor(frames, model.card);
    const result = await model.run(data, dims, ['features', 'element_cam', 'floor_cam']);
    const a = result.features!;
    const [n, k, h, w] = a.dims as [number, number, number, number];
    expect(k).toBe(K);
    const cells = h * w;
    for (const [name, head] of Object.entries(heads)) {
      const cam = result[`${name}_cam`]!.data;
      let worst = 0;
      for (let f = 0; f < n; f++) {
        for (let c = 0; c < head.classes; c++) {
          for (let p = 0; p < cells; p++) {
            let s = 0;
            for (let j = 0; j < K; j++) s += head.weight[c * K + j]! * a.data[(f * K + j) * cells + p]!;
            worst = Math.max(worst, Math.abs(cam[(f * head.classes + c) * cells + p]! - s));
          }
        }
      }
      expect(worst).toBeLessThan(1e-5);
    }
    await model.close();
  });

  it('writes a card beside the model with the new file name and thresholds, the rest kept', () => {
    const { card } = loadModelCard(out);
    expect(card.file).toBe('trained.onnx');
    expect(card.name).toBe('trained');
    expect(card.heads.floor!.uncertainBelow).toBe(0.4);
    expect(card.heads.element!.uncertainBelow).toBe(0.5);
    expect(card.input).toEqual(tiny.card.input);
    expect(card.heads.floor!.labels).toEqual(tiny.card.heads.floor!.labels);
  });

  it('leaves the backbone weights byte for byte as they were', () => {
    const before = readModel(tiny.modelPath).graph!.initializer!.find((t) => t.name === 'conv_w')!;
    const after = readModel(out).graph!.initializer!.find((t) => t.name === 'conv_w')!;
    expect(Buffer.from(after.rawData!).equals(Buffer.from(before.rawData!))).toBe(true);
  });

  it('refuses a head whose class count does not match the graph, naming the initializer and card field', () => {
    expect(() => checkHeadShapes(tiny.modelPath, { floor: randomHead(3, 1) })).toThrow(ModelError);
    expect(() => checkHeadShapes(tiny.modelPath, { floor: randomHead(3, 1) })).toThrow(
      /'floor_head_w' is \[4,16\].*needs \[3,16\].*heads\.floor\.labels/,
    );
  });

  it('refuses a base graph without head initializers for the head', () => {
    expect(() => checkHeadShapes(tiny.modelPath, { turbidity: randomHead(2, 1) })).toThrow(/no initializer 'turbidity_head_w'/);
  });

  it('refuses a file that is not an ONNX model', () => {
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model at all');
    expect(() => checkHeadShapes(junk, { floor: heads.floor })).toThrow(/is not an ONNX model/);
    expect(readFileSync(junk, 'utf8')).toBe('not a model at all');
  });
});
