/**
 * A kilobyte-sized ONNX model with the real input/output names and a hand-made, interpretable
 * backbone, so tests can predict its answers:
 *   features = ReLU(Conv8x8/stride8(image)): channel 0 brightness, 1 darkness, 2 redness,
 *   3 greenness, then 12 seeded random channels;   embedding = GAP(features) [N,16]
 *   floor:   sandy <- brightness, muddy <- darkness, reef <- redness, muddy-sand <- nothing
 *   element: rocks <- brightness, algae <- greenness, fauna <- redness, ripples/waste <- nothing
 * So a bright patch on a dark frame makes the 'rocks' CAM peak on the patch.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel, floatTensor, headNodes, node, writeModel } from '../../src/model-building/onnx-graph.js';
import type { ModelCard } from '../../src/model/card.js';

export const FLOOR_LABELS = ['sandy', 'muddy', 'muddy-sand', 'reef'] as const;
export const ELEMENT_LABELS = ['ripples', 'fauna', 'algae', 'waste', 'rocks'] as const;
export const TINY_SIZE = 64;
const K = 16; // feature channels
const KERNEL = 8;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export interface TinyModelOptions {
  /** Input size written in the card (the graph itself accepts any multiple of 8). */
  size?: number;
  withCams?: boolean;
  /**
   * The element logits pass through a Relu after the linear layer, so that head is no longer pooling
   * plus one linear layer: no exact CAM can be added, only Score-CAM or occlusion explain it.
   */
  elementRelu?: boolean;
  uncertainBelow?: number;
  cropWidthFraction?: number;
}

export interface TinyModel {
  modelPath: string;
  cardPath: string;
  card: ModelCard;
  floorWeight: Float32Array;
  elementWeight: Float32Array;
}

export function writeTinyModel(dir: string, options: TinyModelOptions = {}): TinyModel {
  const size = options.size ?? TINY_SIZE;
  const withCams = options.withCams ?? true;
  mkdirSync(dir, { recursive: true });
  const rand = seeded(7);
  const taps = KERNEL * KERNEL;
  // Conv weight [K, 3, 8, 8]; input already scaled to 0..1 by the card.
  const convW = new Float32Array(K * 3 * taps);
  const convB = new Float32Array(K);
  const set = (k: number, c: number, v: number) => convW.fill(v, (k * 3 + c) * taps, (k * 3 + c + 1) * taps);
  for (let c = 0; c < 3; c++) set(0, c, 1 / (3 * taps)); // brightness
  for (let c = 0; c < 3; c++) set(1, c, -1 / (3 * taps)); // darkness = 1 - brightness
  convB[1] = 1;
  (set(2, 0, 1 / taps), set(2, 1, -0.5 / taps), set(2, 2, -0.5 / taps)); // redness
  (set(3, 1, 1 / taps), set(3, 0, -0.5 / taps), set(3, 2, -0.5 / taps)); // greenness
  for (let i = 4 * 3 * taps; i < convW.length; i++) convW[i] = rand() / taps;

  const headWeights = (rows: Record<number, number>, classes: number) => {
    const w = new Float32Array(classes * K);
    for (const [cls, channel] of Object.entries(rows)) w[Number(cls) * K + channel] = 12;
    return w;
  };
  const floorWeight = headWeights({ 0: 0, 1: 1, 3: 2 }, 4);
  const elementWeight = headWeights({ 4: 0, 2: 3, 1: 2 }, 5);
  const floor = headNodes('floor', 'embedding', 'features', K, { weight: floorWeight, bias: new Float32Array(4), classes: 4 });
  const element = headNodes('element', 'embedding', 'features', K, { weight: elementWeight, bias: new Float32Array(5), classes: 5 });
  if (options.elementRelu) {
    element.nodes[0]!.output = ['element_linear'];
    element.nodes[0]!.name = 'element_linear';
    element.nodes.splice(1, 0, node('Relu', ['element_linear'], ['element_logits']));
  }
  // Without CAMs: drop each head's CAM convolution (its last node) and weight (its last initializer).
  const keep = (h: typeof floor) => (withCams ? h : { nodes: h.nodes.slice(0, -1), initializers: h.initializers.slice(0, -1) });

  const model = buildModel({
    name: 'rovlens-tiny',
    nodes: [
      node('Conv', ['image', 'conv_w', 'conv_b'], ['conv'], { kernel_shape: [KERNEL, KERNEL], strides: [KERNEL, KERNEL] }),
      node('Relu', ['conv'], ['features']),
      node('GlobalAveragePool', ['features'], ['pooled']),
      node('Flatten', ['pooled'], ['embedding'], { axis: 1 }),
      ...keep(floor).nodes,
      ...keep(element).nodes,
    ],
    initializers: [
      floatTensor('conv_w', [K, 3, KERNEL, KERNEL], convW),
      floatTensor('conv_b', [K], convB),
      ...keep(floor).initializers,
      ...keep(element).initializers,
    ],
    inputs: [{ name: 'image', dims: ['N', 3, 'H', 'W'] }],
    outputs: [
      { name: 'floor_logits', dims: ['N', 4] },
      { name: 'element_logits', dims: ['N', 5] },
      { name: 'embedding', dims: ['N', K] },
      ...(withCams
        ? [
            { name: 'floor_cam', dims: ['N', 4, 'h', 'w'] },
            { name: 'element_cam', dims: ['N', 5, 'h', 'w'] },
          ]
        : []),
    ],
  });
  const modelPath = join(dir, 'tiny.onnx');
  const cardPath = join(dir, 'tiny.card.json');
  writeModel(modelPath, model);
  const card: ModelCard = {
    schemaVersion: 1,
    name: 'rovlens-tiny',
    file: 'tiny.onnx',
    input: { name: 'image', layout: 'NCHW', width: size, height: size, channelOrder: 'RGB', scaling: { scale: 1 / 255, offset: 0 } },
    crop: { widthFraction: options.cropWidthFraction ?? 0.67, heightFraction: 1 },
    heads: {
      floor: {
        logits: 'floor_logits',
        labels: [...FLOOR_LABELS],
        ...(withCams ? { cam: 'floor_cam' } : {}),
        uncertainBelow: options.uncertainBelow ?? 0,
      },
      element: {
        logits: 'element_logits',
        labels: [...ELEMENT_LABELS],
        ...(withCams ? { cam: 'element_cam' } : {}),
        uncertainBelow: options.uncertainBelow ?? 0,
      },
    },
    embedding: { output: 'embedding', length: K },
    provenance: { note: 'hand-made test model; weights are not trained' },
  };
  writeFileSync(cardPath, JSON.stringify(card, null, 2));
  return { modelPath, cardPath, card, floorWeight, elementWeight };
}
