import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPooledFeatures, findPoolingHead, openWithCams, withCamOutputs } from '../../src/model-building/add-cam-outputs.js';
import { buildModel, floatTensor, node, readModel, writeModel } from '../../src/model-building/onnx-graph.js';
import { predictBatch, softmax } from '../../src/model/predict.js';
import { framesToTensor } from '../../src/model/preprocess.js';
import { ModelSession } from '../../src/model/session.js';
import type { ModelCard } from '../../src/model/card.js';
import type { NodeProto } from '../../src/model-building/onnx-graph.js';
import { solidFrame, withPatch } from '../helpers/frames.js';
import { TINY_SIZE, writeTinyModel } from '../helpers/tiny-model.js';
import { KERAS_LIKE, kerasLikeGraph } from '../helpers/keras-like-model.js';

const frame = withPatch(
  withPatch(solidFrame(TINY_SIZE, TINY_SIZE, [40, 40, 40]), { x: 8, y: 16, width: 16, height: 16 }, [230, 230, 230]),
  { x: 40, y: 40, width: 16, height: 16 },
  [200, 30, 30],
);

/** The Keras-like classifier with its card, in `dir`. */
function writeKerasLikeModel(dir: string): string {
  const model = kerasLikeGraph();
  mkdirSync(dir, { recursive: true });
  const modelPath = join(dir, 'keras.onnx');
  writeModel(modelPath, model);
  const card: ModelCard = {
    schemaVersion: 1,
    name: 'keras-like',
    file: 'keras.onnx',
    input: {
      name: 'input_1',
      layout: 'NCHW',
      width: TINY_SIZE,
      height: TINY_SIZE,
      channelOrder: 'RGB',
      scaling: { scale: 1 / 127.5, offset: -1 },
    },
    crop: { widthFraction: 1, heightFraction: 1 },
    heads: { element: { logits: 'predictions', labels: ['a', 'b', 'c'], uncertainBelow: 0 } },
    provenance: {},
  };
  writeFileSync(join(dir, 'keras.card.json'), JSON.stringify(card));
  return modelPath;
}

describe('adding CAM outputs to a pooling-plus-linear classifier', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-addcam-'));
  const cache = join(dir, 'cache');

  it('recovers exactly the CAM that the model built with CAM outputs has (Gemm after GlobalAveragePool)', async () => {
    const plain = writeTinyModel(join(dir, 'plain'), { withCams: false });
    const reference = writeTinyModel(join(dir, 'reference'));
    const edit = withCamOutputs(plain.modelPath, { cacheDir: cache });
    expect(edit.added).toEqual(['floor', 'element']);
    expect(existsSync(edit.modelPath)).toBe(true);
    const edited = await ModelSession.open(edit.cardPath);
    const original = await ModelSession.open(reference.modelPath);
    const [a] = await predictBatch(edited, [frame]);
    const [b] = await predictBatch(original, [frame]);
    for (const head of ['floor', 'element']) {
      const x = a!.cams![head]!.data;
      const y = b!.cams![head]!.data;
      expect(x.length).toBe(y.length);
      for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(y[i]!, 5);
    }
    await edited.close();
    await original.close();
  });

  it('handles the tf2onnx layout: NHWC ReduceMean, MatMul + Add, Softmax output', async () => {
    const path = writeKerasLikeModel(join(dir, 'keras'));
    const found = findPoolingHead(readModel(path), 'predictions');
    expect(found).toMatchObject({ features: 'relu_nhwc', layout: 'NHWC', classes: 3, featureCount: 4 });
    const lines: string[] = [];
    const model = await openWithCams(path, { notice: (l) => lines.push(l), cacheDir: cache });
    expect(lines).toEqual(['rovlens: added exact Grad-CAM outputs for head element (pooling + linear head found in the graph)']);
    const [result] = await predictBatch(model, [frame]);
    const cam = result!.cams!.element!;
    expect([cam.classes, cam.height, cam.width]).toEqual([3, TINY_SIZE / 4, TINY_SIZE / 4]);
    // softmax(mean over space of the CAM + bias) is the model's own output: the CAM is its head.
    const cells = cam.height * cam.width;
    const logits = [0.1, -0.2, 0.3].map((bias, c) => {
      let sum = 0;
      for (let i = 0; i < cells; i++) sum += cam.data[c * cells + i]!;
      return sum / cells + bias;
    });
    const probabilities = softmax(logits);
    const { data, dims } = framesToTensor([frame], model.card);
    const output = (await model.run(data, dims, ['predictions'])).predictions!.data;
    for (let c = 0; c < 3; c++) expect(probabilities[c]).toBeCloseTo(output[c]!, 5);
    await model.close();
  });

  it('leaves a model alone when its card already names CAM outputs', () => {
    const tiny = writeTinyModel(join(dir, 'complete'));
    const edit = withCamOutputs(tiny.modelPath, { cacheDir: cache });
    expect(edit).toMatchObject({ added: [], skipped: [], modelPath: tiny.modelPath });
  });

  it('gives a head that pools but is not one linear layer its feature map for Score-CAM, and says so', async () => {
    const plain = writeTinyModel(join(dir, 'odd'), { withCams: false, elementRelu: true });
    const lines: string[] = [];
    const session = await openWithCams(plain.modelPath, { notice: (l) => lines.push(l), cacheDir: cache });
    expect(lines).toEqual([
      'rovlens: added exact Grad-CAM outputs for head floor (pooling + linear head found in the graph)',
      'rovlens: head element pools a feature map but is not one linear layer; heatmaps by Score-CAM',
    ]);
    expect(session.card.heads.element!.cam).toBeUndefined();
    expect(session.card.heads.element!.features).toBe('element_features');
    expect(session.card.heads.floor!.cam).toBe('floor_cam');
    // The output is the pooled map itself: [N, 16 channels, 8, 8] for a 64x64 input (stride 8).
    const out = await session.run(new Float32Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64], ['element_features']);
    expect(out.element_features!.dims).toEqual([1, 16, 8, 8]);
    await session.close();
  });

  it('says why when nothing pools a feature map by averaging, and keeps the original model', async () => {
    const plain = writeTinyModel(join(dir, 'maxpool'), { withCams: false });
    const model = readModel(plain.modelPath);
    model.graph!.node!.find((n) => n.opType === 'GlobalAveragePool')!.opType = 'GlobalMaxPool';
    writeModel(plain.modelPath, model);
    const lines: string[] = [];
    const edit = withCamOutputs(plain.modelPath, { cacheDir: cache });
    expect(edit).toMatchObject({ added: [], featuresAdded: [], modelPath: plain.modelPath });
    const session = await openWithCams(plain.modelPath, { notice: (l) => lines.push(l), cacheDir: cache });
    expect(lines).toContain(
      "rovlens: head element has no CAM output and none can be added (the linear layer's input comes from GlobalMaxPool, not global average pooling); using occlusion",
    );
    expect(session.card.heads.element!.cam).toBeUndefined();
    expect(session.card.heads.element!.features).toBeUndefined();
    await session.close();
  });

  it('exposes an NHWC feature map as NCHW for Score-CAM: the CAM is exactly the head weights times it', async () => {
    const path = writeKerasLikeModel(join(dir, 'keras-features'));
    const model = await openWithCams(path, { notice: () => undefined, cacheDir: cache, features: true });
    try {
      expect(model.card.heads.element).toMatchObject({ cam: 'element_cam', features: 'element_features' });
      const { data, dims } = framesToTensor([frame], model.card);
      const out = await model.run(data, dims, ['element_cam', 'element_features']);
      const features = out.element_features!;
      expect(features.dims).toEqual([1, 4, TINY_SIZE / 4, TINY_SIZE / 4]);
      const cells = (TINY_SIZE / 4) ** 2;
      const dense = KERAS_LIKE.dense; // [K, C]
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < cells; i += 17) {
          let expected = 0;
          for (let k = 0; k < 4; k++) expected += dense[k * 3 + c]! * features.data[k * cells + i]!;
          expect(out.element_cam!.data[c * cells + i]).toBeCloseTo(expected, 5);
        }
      }
    } finally {
      await model.close();
    }
  });

  it('finds the pooled feature map behind several layers, NCHW or NHWC', () => {
    const graph = (pool: NodeProto) =>
      buildModel({
        name: 'mlp',
        nodes: [
          node('Relu', ['image'], ['maps']),
          pool,
          node('Flatten', ['pooled'], ['flat'], { axis: 1 }),
          node('Gemm', ['flat', 'w1'], ['hidden'], { transB: 1 }),
          node('Relu', ['hidden'], ['hidden_relu']),
          node('Gemm', ['hidden_relu', 'w2'], ['logits'], { transB: 1 }),
        ],
        initializers: [floatTensor('w1', [4, 3], new Float32Array(12)), floatTensor('w2', [2, 4], new Float32Array(8))],
        inputs: [{ name: 'image', dims: ['N', 3, 'H', 'W'] }],
        outputs: [{ name: 'logits', dims: ['N', 2] }],
      });
    expect(findPooledFeatures(graph(node('GlobalAveragePool', ['maps'], ['pooled'])), 'logits')).toEqual({
      features: 'maps',
      layout: 'NCHW',
    });
    expect(findPooledFeatures(graph(node('ReduceMean', ['maps'], ['pooled'], { axes: [1, 2], keepdims: 0 })), 'logits')).toEqual({
      features: 'maps',
      layout: 'NHWC',
    });
    expect(findPooledFeatures(graph(node('ReduceMax', ['maps'], ['pooled'], { axes: [2, 3] })), 'logits')).toEqual({
      reason: 'no global average pooling of a feature map before the logits',
    });
  });
});
