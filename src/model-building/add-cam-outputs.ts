/**
 * Grad-CAM for classifiers exported without CAM outputs. When a head is global average pooling
 * followed by one linear layer (GlobalAveragePool or ReduceMean over the spatial axes, optionally
 * Flatten/Reshape/Squeeze, then Gemm or MatMul(+Add), optionally Softmax), its Grad-CAM is exact
 * from a forward pass: ReLU(sum_k W[c,k] A_k). This module finds that pattern in the graph and adds
 * the CAM as an extra output (a 1x1 Conv of the feature map with the head's weights, no bias), as a
 * Keras ResNet152V2 exported through tf2onnx needs. A head that pools and then does more than one
 * linear layer (an MLP, say) has no exact CAM from a forward pass; its pooled feature map is made an
 * output instead, for the gradient-free Score-CAM. The edited model and card go to a cache folder
 * keyed by the content, so the edit happens once per model.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ModelError } from '../errors.js';
import { loadModelCard, type ModelCard } from '../model/card.js';
import {
  encodeModel,
  floatTensor,
  node,
  onnx,
  readModel,
  tensorValues,
  valueInfo,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './onnx-graph.js';
import { ModelSession, type SessionOptions } from '../model/session.js';

export interface PoolingHead {
  /** The tensor the head was found from (the card's logits output). */
  logits: string;
  /** The feature map that is pooled. */
  features: string;
  /** NCHW: pooled over axes 2,3; NHWC (tf2onnx exports of Keras models): pooled over axes 1,2. */
  layout: 'NCHW' | 'NHWC';
  classes: number;
  featureCount: number;
  /** Row-major [classes, featureCount]: the linear layer's weights including Gemm's alpha. */
  weight: Float32Array;
}

const PASS_THROUGH = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity']);

function attribute(n: NodeProto, name: string) {
  return n.attribute?.find((a) => a.name === name);
}
const intAttribute = (n: NodeProto, name: string, fallback: number) => {
  const a = attribute(n, name);
  return a ? Number(a.i ?? fallback) : fallback;
};
const floatAttribute = (n: NodeProto, name: string, fallback: number) => attribute(n, name)?.f ?? fallback;

/** Each tensor's producing node, and the graph's constants by name. */
function graphIndex(model: ModelProto) {
  const producers = new Map<string, NodeProto>();
  for (const n of model.graph?.node ?? []) for (const out of n.output ?? []) producers.set(out, n);
  const initializers = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  return { producers, initializers };
}

/** Where a head's spatial feature map is pooled, found however many layers follow the pooling. */
export interface PooledFeatures {
  features: string;
  layout: 'NCHW' | 'NHWC';
}

/**
 * The feature map a node averages over the spatial axes (GlobalAveragePool, or ReduceMean over
 * axes 2,3 for NCHW or 1,2 for NHWC), or the reason it is not such a pooling.
 */
function spatialPooling(pool: NodeProto, initializers: Map<string, TensorProto>): PooledFeatures | { reason: string } {
  if (pool.opType === 'GlobalAveragePool') return { features: pool.input![0]!, layout: 'NCHW' };
  if (pool.opType !== 'ReduceMean') return { reason: `${pool.opType} is not global average pooling` };
  const fromAttribute = attribute(pool, 'axes')?.ints?.map(Number);
  const axesInput = initializers.get(pool.input?.[1] ?? '');
  const axes = (fromAttribute ?? (axesInput ? (axesInput.int64Data ?? []).map(Number) : [])).slice().sort();
  if (axes.join() === '2,3') return { features: pool.input![0]!, layout: 'NCHW' };
  if (axes.join() === '1,2') return { features: pool.input![0]!, layout: 'NHWC' };
  return { reason: `ReduceMean over axes [${axes.join(',')}] is not spatial pooling` };
}

/**
 * Follows `logits` back through the graph; returns the head when it is pooling plus one linear
 * layer with constant weights, else undefined (with the reason, for the notice).
 */
export function findPoolingHead(model: ModelProto, logits: string): PoolingHead | { reason: string } {
  if (!model.graph) return { reason: 'the model has no graph' };
  const { producers, initializers } = graphIndex(model);
  const constant = (name: string | null | undefined) => (name ? initializers.get(name) : undefined);

  let current = producers.get(logits);
  if (current?.opType === 'Softmax') current = producers.get(current.input![0]!);
  if (!current) return { reason: `'${logits}' is not produced by a node` };

  // The linear layer: Gemm(X, W, b) or [Add(] MatMul(X, W) [, b)].
  let x: string | undefined;
  let weight: Float32Array | undefined;
  let classes = 0;
  let featureCount = 0;
  if (current.opType === 'Add') {
    const [a, b] = current.input ?? [];
    const matmul = [a, b].map((i) => (i ? producers.get(i) : undefined)).find((n) => n?.opType === 'MatMul');
    if (!matmul) return { reason: `'${logits}' comes from Add without a MatMul` };
    current = matmul;
  }
  if (current.opType === 'MatMul') {
    const w = constant(current.input![1]);
    if (!w || (w.dims ?? []).length !== 2) return { reason: 'the MatMul has no constant 2-D weight' };
    const [k, c] = (w.dims ?? []).map(Number) as [number, number];
    const values = tensorValues(w);
    weight = new Float32Array(c * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < c; j++) weight[j * k + i] = values[i * c + j]!;
    [classes, featureCount, x] = [c, k, current.input![0]!];
  } else if (current.opType === 'Gemm') {
    const w = constant(current.input![1]);
    if (!w || intAttribute(current, 'transA', 0) !== 0) return { reason: 'the Gemm has no constant weight (or transposes its input)' };
    const transB = intAttribute(current, 'transB', 0) === 1;
    const alpha = floatAttribute(current, 'alpha', 1);
    const [d0, d1] = (w.dims ?? []).map(Number) as [number, number];
    const values = tensorValues(w);
    [classes, featureCount] = transB ? [d0, d1] : [d1, d0];
    weight = new Float32Array(classes * featureCount);
    for (let c = 0; c < classes; c++)
      for (let k = 0; k < featureCount; k++)
        weight[c * featureCount + k] = alpha * values[transB ? c * featureCount + k : k * classes + c]!;
    x = current.input![0]!;
  } else {
    return { reason: `'${logits}' comes from ${current.opType}, not a linear layer` };
  }

  // Back through shape-only nodes to the pooling.
  let pool = producers.get(x);
  while (pool && PASS_THROUGH.has(pool.opType ?? '')) pool = producers.get(pool.input![0]!);
  if (!pool) return { reason: 'no pooling before the linear layer' };
  const pooled = spatialPooling(pool, initializers);
  if ('reason' in pooled) {
    return {
      reason:
        pool.opType === 'ReduceMean' ? pooled.reason : `the linear layer's input comes from ${pool.opType}, not global average pooling`,
    };
  }
  return { logits, ...pooled, classes, featureCount, weight };
}

/**
 * Searches back from `logits`, breadth first (nearest to the logits first), for a global average
 * pooling over the spatial axes (GlobalAveragePool, or ReduceMean over axes 2,3 / 1,2): its input is
 * the feature map Score-CAM needs. Returns the reason when there is none (occlusion then).
 */
export function findPooledFeatures(model: ModelProto, logits: string): PooledFeatures | { reason: string } {
  if (!model.graph) return { reason: 'the model has no graph' };
  const { producers, initializers } = graphIndex(model);
  const seen = new Set<NodeProto>();
  const queue = [producers.get(logits)].filter((n): n is NodeProto => n !== undefined);
  while (queue.length) {
    const current = queue.shift()!;
    if (seen.has(current)) continue;
    seen.add(current);
    const pooled = spatialPooling(current, initializers);
    if (!('reason' in pooled)) return pooled;
    for (const input of current.input ?? []) {
      const producer = input ? producers.get(input) : undefined;
      if (producer) queue.push(producer);
    }
  }
  return { reason: 'no global average pooling of a feature map before the logits' };
}

/** Makes a feature map an output in NCHW (transposing an NHWC one), named `name`; mutates `model`. */
export function addFeaturesOutput(model: ModelProto, pooled: PooledFeatures, name: string): void {
  const graph = model.graph!;
  if (pooled.layout === 'NHWC') {
    graph.node!.push(node('Transpose', [pooled.features], [name], { perm: [0, 3, 1, 2] }));
  } else {
    graph.node!.push(node('Identity', [pooled.features], [name]));
  }
  graph.output!.push(valueInfo(name, ['N', 'K', 'h', 'w']));
}

/**
 * Adds the CAM output `camName` [N, classes, h, w] for a found head (mutates `model`). An NHWC
 * feature map is transposed to NCHW first, so every CAM has the same layout.
 */
export function addCamOutput(model: ModelProto, head: PoolingHead, camName: string): void {
  const graph = model.graph!;
  const tag = camName.replace(/[^A-Za-z0-9_]/g, '_');
  let features = head.features;
  if (head.layout === 'NHWC') {
    graph.node!.push(node('Transpose', [features], [`${tag}_features_nchw`], { perm: [0, 3, 1, 2] }));
    features = `${tag}_features_nchw`;
  }
  graph.node!.push(node('Conv', [features, `${tag}_w`], [camName], { kernel_shape: [1, 1] }));
  graph.initializer!.push(floatTensor(`${tag}_w`, [head.classes, head.featureCount, 1, 1], head.weight));
  graph.output!.push(valueInfo(camName, ['N', head.classes, 'h', 'w']));
}

/** Makes an intermediate tensor a graph output (e.g. the feature map, for class-agnostic maps). */
export function addOutput(model: ModelProto, name: string): void {
  const outputs = model.graph!.output!;
  if (!outputs.some((o) => o.name === name)) outputs.push(onnx.ValueInfoProto.create({ name }));
}

export interface CamEdit {
  /** Heads that got a CAM output; heads that got a feature-map output; heads that have only that (Score-CAM). */
  added: string[];
  featuresAdded: string[];
  scoreCam: string[];
  /** Heads that got neither, with why (occlusion then). */
  skipped: { head: string; reason: string }[];
  modelPath: string;
  cardPath: string;
}

export interface CamEditOptions {
  /** Also make each head's pooled feature map an output (for Score-CAM on every head, even with CAMs). */
  features?: boolean;
  /** Where the edited model goes (default: the system temp folder). */
  cacheDir?: string;
}

/**
 * For every head of the card without a `cam`, finds the pooling head and adds its CAM output; a head
 * whose pooling is followed by more than one linear layer gets its pooled feature map as an output
 * (`features` in the card) for Score-CAM instead. With `features`, every head gets that output too.
 * Writes the edited model and card into a cache folder; returns the original paths when nothing
 * could be added.
 */
export function withCamOutputs(path: string, options: CamEditOptions = {}): CamEdit {
  const { card, cardPath, modelPath } = loadModelCard(path);
  const wanted = Object.entries(card.heads).filter(([, spec]) => !spec.cam || (options.features && !spec.features));
  if (!wanted.length) return { added: [], featuresAdded: [], scoreCam: [], skipped: [], modelPath, cardPath };
  const bytes = readFileSync(modelPath);
  const key = createHash('sha256')
    .update(bytes)
    .update(JSON.stringify(card))
    .update(options.features ? 'features' : '')
    .digest('hex')
    .slice(0, 16);
  const folder = join(options.cacheDir ?? join(tmpdir(), 'rovlens-cam'), key);
  const outModel = join(folder, basename(modelPath).replace(/\.onnx$/, '') + '.cam.onnx');
  const outCard = outModel.replace(/\.onnx$/, '.card.json');
  const model = readModel(modelPath);
  const edited: ModelCard = structuredClone(card);
  const added: string[] = [];
  const featuresAdded: string[] = [];
  const scoreCam: string[] = [];
  const skipped: { head: string; reason: string }[] = [];
  const taken = new Set((model.graph?.output ?? []).map((o) => o.name));
  const freeName = (wish: string) => {
    let name = wish;
    while (taken.has(name)) name += '_';
    taken.add(name);
    return name;
  };
  // One output per feature map, however many heads pool it.
  const featureOutputs = new Map<string, string>();
  for (const [name, spec] of wanted) {
    let reason: string | undefined;
    if (!spec.cam) {
      const head = findPoolingHead(model, spec.logits);
      if ('reason' in head) {
        reason = head.reason;
      } else {
        const camName = freeName(`${name}_cam`);
        addCamOutput(model, head, camName);
        edited.heads[name]!.cam = camName;
        added.push(name);
        if (!options.features) continue;
      }
    }
    const pooled = findPooledFeatures(model, spec.logits);
    if ('reason' in pooled) {
      if (reason) skipped.push({ head: name, reason });
      continue;
    }
    let output = featureOutputs.get(pooled.features);
    if (!output) {
      output = freeName(`${name}_features`);
      addFeaturesOutput(model, pooled, output);
      featureOutputs.set(pooled.features, output);
    }
    edited.heads[name]!.features = output;
    featuresAdded.push(name);
    if (reason) scoreCam.push(name);
  }
  if (!added.length && !featuresAdded.length) return { added, featuresAdded, scoreCam, skipped, modelPath, cardPath };
  edited.file = basename(outModel);
  if (!existsSync(outCard)) {
    try {
      mkdirSync(folder, { recursive: true });
      writeFileSync(outModel, encodeModel(model));
      writeFileSync(outCard, JSON.stringify(edited, null, 2));
    } catch (error) {
      throw new ModelError(`cannot write the model with CAM outputs to ${folder}: ${(error as Error).message}`);
    }
  }
  return { added, featuresAdded, scoreCam, skipped, modelPath: outModel, cardPath: outCard };
}

/**
 * Opens a model, adding CAM outputs first when its card lacks them and the graph allows it (or the
 * pooled feature maps, for Score-CAM); says what it did in one line per change. `deferLoad`: the
 * session is created on `load()` or the first run (see ModelSession.prepare).
 */
export async function openWithCams(
  path: string,
  options: SessionOptions & CamEditOptions & { deferLoad?: boolean } = {},
): Promise<ModelSession> {
  const { cacheDir, features, deferLoad, ...sessionOptions } = options;
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const edit = withCamOutputs(path, { cacheDir, features });
  if (edit.added.length)
    notice(`rovlens: added exact Grad-CAM outputs for head ${edit.added.join(', ')} (pooling + linear head found in the graph)`);
  if (edit.scoreCam.length)
    notice(`rovlens: head ${edit.scoreCam.join(', ')} pools a feature map but is not one linear layer; heatmaps by Score-CAM`);
  for (const s of edit.skipped) notice(`rovlens: head ${s.head} has no CAM output and none can be added (${s.reason}); using occlusion`);
  return deferLoad ? ModelSession.prepare(edit.cardPath, sessionOptions) : ModelSession.open(edit.cardPath, sessionOptions);
}
