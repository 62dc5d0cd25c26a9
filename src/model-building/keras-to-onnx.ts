/**
 * Keras layers-model -> ONNX backbone, in TypeScript, with no Python and no TensorFlow import.
 *
 * The input is a plain description of a Keras functional graph (`KerasGraph`: layers in topological
 * order, each with its class, config, inbound layer names and float32 weights), so the maths can be
 * tested without TF.js and the TF.js side (`describeLayersModel`) only reads a loaded model.
 *
 * Layout: Keras is NHWC, the ONNX graph is NCHW throughout, so kernels are transposed once here and
 * channel axes (Concatenate, BatchNormalization) become axis 1. Keras `same` padding puts the odd
 * pixel at the bottom/right; ONNX `SAME_UPPER` does the same, explicit pads are used where the
 * amount does not depend on the input size (stride 1), so the graph keeps dynamic H/W.
 *
 * Graph contract (what `buildBackboneModel` emits): input `image` [N,3,H,W]; the chosen layer's output
 * is the internal tensor `features` [N,K,h,w]; `embedding` [N,K] = Flatten(GlobalAveragePool(features));
 * then a pooling-plus-linear head per task from `headNodes` (logits and CAM outputs).
 */
import { ModelError } from '../errors.js';
import { buildModel, floatTensor, headNodes, int64Tensor, node, type ModelProto, type NodeProto, type TensorProto } from './onnx-graph.js';

export interface KerasWeight {
  /** The variable's own name without the layer prefix, e.g. `kernel`, `gamma`, `moving_mean`. */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Names of the layers feeding this one, in argument order (empty for the input layer). */
  inbound: string[];
  weights: KerasWeight[];
}

export interface KerasGraph {
  layers: KerasLayer[];
}

/** The part of a TF.js `LayersModel` this module reads, typed structurally so src/ needs no tfjs. */
export interface LayersModelLike {
  layers: {
    name: string;
    getClassName(): string;
    getConfig(): Record<string, unknown>;
    inboundNodes: { inboundLayers: { name: string }[] }[];
    weights: { originalName?: string; name: string }[];
    getWeights(): { shape: number[]; dataSync(): ArrayLike<number> }[];
  }[];
}

/** Reads a loaded TF.js layers model into a `KerasGraph` (weights already dequantized to float32). */
export function describeLayersModel(model: LayersModelLike): KerasGraph {
  return {
    layers: model.layers.map((layer) => {
      if (layer.inboundNodes.length > 1)
        throw new ModelError(`layer ${layer.name} is shared (called ${layer.inboundNodes.length} times); not supported`);
      const variables = layer.weights;
      const tensors = layer.getWeights();
      return {
        name: layer.name,
        className: layer.getClassName(),
        config: layer.getConfig(),
        inbound: layer.inboundNodes[0]?.inboundLayers.map((l) => l.name) ?? [],
        weights: tensors.map((t, i) => {
          const full = variables[i]?.originalName ?? variables[i]?.name ?? String(i);
          // Variable names look like `bn_Conv1/gamma` or `conv2d_1/kernel_1` (a uniquifying suffix).
          const short = full.split('/').pop()!.replace(/_\d+$/, '');
          return { name: short, shape: [...t.shape], values: Float32Array.from(t.dataSync()) };
        }),
      };
    }),
  };
}

export interface BackboneOptions {
  /** The Keras layer whose output becomes `features` (e.g. MobileNetV2 `out_relu`, InceptionV3 `mixed10`). */
  featuresLayer: string;
  /** Head name -> number of classes; each gets zero weights (a trainer writes real ones with `replaceHead`). */
  heads: Record<string, number>;
  /** Also expose `features` as a graph output (tests compare whole feature maps). */
  exposeFeatures?: boolean;
  name?: string;
  docString?: string;
}

export interface Backbone {
  model: ModelProto;
  /** Channels of `features` = length of `embedding`. */
  featureCount: number;
  /** Keras layers that were converted, by class (after folding). */
  layerCounts: Record<string, number>;
}

const INPUT = 'image';
const FEATURES = 'features';
const EMBEDDING = 'embedding';

/** Converts the sub-graph that `featuresLayer` depends on; everything after it (the old classifier) is dropped. */
export function buildBackboneModel(graph: KerasGraph, options: BackboneOptions): Backbone {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const target = byName.get(options.featuresLayer);
  if (!target)
    throw new ModelError(
      `no layer named '${options.featuresLayer}' (last layers: ${graph.layers
        .slice(-5)
        .map((l) => l.name)
        .join(', ')})`,
    );

  const needed = new Set<string>();
  const stack = [target.name];
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    const layer = byName.get(name);
    if (!layer) throw new ModelError(`layer '${name}' is referenced but not defined`);
    needed.add(name);
    stack.push(...layer.inbound);
  }
  const layers = graph.layers.filter((l) => needed.has(l.name));
  const consumers = new Map<string, KerasLayer[]>();
  for (const layer of layers) for (const input of layer.inbound) consumers.set(input, [...(consumers.get(input) ?? []), layer]);
  const onlyConsumer = (name: string) => {
    const c = consumers.get(name);
    return name !== target.name && c && c.length === 1 ? c[0]! : undefined;
  };

  const emitter = new Emitter();
  // Keras layer name -> ONNX tensor holding its output.
  const tensorOf = new Map<string, string>();
  const channelsOf = new Map<string, number>();
  const folded = new Set<string>();
  const input = (layer: KerasLayer, i = 0) => {
    const t = tensorOf.get(layer.inbound[i]!);
    if (t === undefined) throw new ModelError(`layer ${layer.name}: input ${layer.inbound[i]} was not converted`);
    return t;
  };
  const inputChannels = (layer: KerasLayer, i = 0) => channelsOf.get(layer.inbound[i]!)!;

  for (const layer of layers) {
    if (folded.has(layer.name)) continue;
    const out = layer.name === target.name ? FEATURES : layer.name;
    const cfg = layer.config;
    if (layer.className !== 'ZeroPadding2D') emitter.count(layer.className);
    switch (layer.className) {
      case 'InputLayer': {
        const shape = cfg.batchInputShape as (number | null)[] | undefined;
        const channels = shape?.[3];
        if (channels !== 3) throw new ModelError(`input layer ${layer.name}: expected 3 channels (NHWC), got shape [${shape?.join(',')}]`);
        tensorOf.set(layer.name, INPUT);
        channelsOf.set(layer.name, 3);
        continue;
      }
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = zeroPadding(cfg);
        const next = onlyConsumer(layer.name);
        // Folding the pad into the next convolution's pads saves a full copy of the feature map.
        if (next && (next.className === 'Conv2D' || next.className === 'DepthwiseConv2D') && next.config.padding === 'valid') {
          emitter.pendingPads.set(next.name, [top, left, bottom, right]);
          emitter.count('ZeroPadding2D (folded)');
          tensorOf.set(layer.name, input(layer));
        } else {
          emitter.count('ZeroPadding2D');
          const pads = `${layer.name}_pads`;
          emitter.init(int64Tensor(pads, [8], [0, 0, top, left, 0, 0, bottom, right]));
          emitter.add(node('Pad', [input(layer), pads], [out]));
          tensorOf.set(layer.name, out);
        }
        channelsOf.set(layer.name, inputChannels(layer));
        continue;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = layer.className === 'DepthwiseConv2D';
        const cin = inputChannels(layer);
        const kernel = weight(layer, depthwise ? 'depthwise_kernel' : 'kernel');
        const [kh, kw, kin, kout] = kernel.shape as [number, number, number, number];
        if (kin !== cin) throw new ModelError(`layer ${layer.name}: kernel expects ${kin} input channels, got ${cin}`);
        const cout = depthwise ? cin * kout : kout;
        const w = depthwise ? depthwiseKernelToOnnx(kernel.values, kh, kw, cin, kout) : convKernelToOnnx(kernel.values, kh, kw, cin, kout);
        const b = cfg.useBias
          ? Float32Array.from(weight(layer, depthwise ? 'depthwise_bias' : 'bias', 'bias').values)
          : new Float32Array(cout);
        const activation = activationOf(cfg.activation, layer);
        let result = layer.name;
        const next = onlyConsumer(layer.name);
        // A BatchNormalization right after a linear convolution is an affine map per output channel.
        if (!activation && next && next.className === 'BatchNormalization') {
          const bn = batchNormScaleShift(next, cout);
          foldBatchNorm(w, b, bn.scale, bn.shift);
          folded.add(next.name);
          emitter.count('BatchNormalization (folded)');
          result = next.name;
        }
        const strides = pair(cfg.strides, 'strides', layer);
        const dilations = pair(cfg.dilationRate ?? [1, 1], 'dilationRate', layer);
        const attrs: Record<string, number | number[] | string> = {
          kernel_shape: [kh, kw],
          strides,
          dilations,
          ...(depthwise ? { group: cin } : {}),
          ...padAttributes(cfg.padding, [kh, kw], strides, dilations, emitter.pendingPads.get(layer.name), layer),
        };
        const resultTensor = result === target.name ? FEATURES : result;
        const convOut = activation ? `${result}_preact` : resultTensor;
        emitter.init(floatTensor(`${layer.name}_w`, [cout, depthwise ? 1 : cin, kh, kw], w));
        emitter.init(floatTensor(`${layer.name}_b`, [cout], b));
        emitter.add(node('Conv', [input(layer), `${layer.name}_w`, `${layer.name}_b`], [convOut], attrs));
        if (activation) emitter.activation(activation, convOut, resultTensor);
        tensorOf.set(layer.name, convOut);
        tensorOf.set(result, resultTensor);
        channelsOf.set(layer.name, cout);
        channelsOf.set(result, cout);
        continue;
      }
      case 'BatchNormalization': {
        // Only reached when the previous layer was not a foldable convolution.
        const c = inputChannels(layer);
        const bn = batchNormScaleShift(layer, c);
        emitter.init(floatTensor(`${layer.name}_scale`, [1, c, 1, 1], bn.scale));
        emitter.init(floatTensor(`${layer.name}_shift`, [1, c, 1, 1], bn.shift));
        emitter.add(node('Mul', [input(layer), `${layer.name}_scale`], [`${layer.name}_scaled`]));
        emitter.add(node('Add', [`${layer.name}_scaled`, `${layer.name}_shift`], [out]));
        break;
      }
      case 'ReLU': {
        const maxValue = cfg.maxValue as number | null | undefined;
        if (cfg.negativeSlope || cfg.threshold)
          throw new ModelError(`layer ${layer.name}: ReLU with negativeSlope/threshold is not supported`);
        emitter.activation(maxValue == null ? 'relu' : { clipMax: maxValue }, input(layer), out);
        break;
      }
      case 'Activation': {
        const activation = activationOf(cfg.activation, layer);
        if (activation) emitter.activation(activation, input(layer), out);
        else emitter.add(node('Identity', [input(layer)], [out]));
        break;
      }
      case 'Add': {
        const inputs = layer.inbound.map((_, i) => input(layer, i));
        emitter.add(node(inputs.length === 2 ? 'Add' : 'Sum', inputs, [out]));
        break;
      }
      case 'Concatenate': {
        const axis = cfg.axis as number;
        if (axis !== -1 && axis !== 3)
          throw new ModelError(`layer ${layer.name}: Concatenate on axis ${axis}; only the channel axis is supported`);
        emitter.add(
          node(
            'Concat',
            layer.inbound.map((_, i) => input(layer, i)),
            [out],
            { axis: 1 },
          ),
        );
        tensorOf.set(layer.name, out);
        channelsOf.set(
          layer.name,
          layer.inbound.reduce((sum, _, i) => sum + inputChannels(layer, i), 0),
        );
        continue;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const kernel = pair(cfg.poolSize, 'poolSize', layer);
        const strides = pair(cfg.strides ?? cfg.poolSize, 'strides', layer);
        const attrs: Record<string, number | number[] | string> = {
          kernel_shape: kernel,
          strides,
          ...padAttributes(cfg.padding, kernel, strides, [1, 1], undefined, layer),
        };
        // TF averages only the real pixels under the window at the borders of `same` pooling.
        if (layer.className === 'AveragePooling2D') attrs.count_include_pad = 0;
        emitter.add(node(layer.className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [input(layer)], [out], attrs));
        break;
      }
      case 'Dropout':
        // Inference: identity.
        tensorOf.set(layer.name, input(layer));
        channelsOf.set(layer.name, inputChannels(layer));
        if (layer.name === target.name) emitter.add(node('Identity', [input(layer)], [out]));
        continue;
      default:
        throw new ModelError(
          `layer ${layer.name}: Keras class ${layer.className} is not supported by the converter (supported: ${SUPPORTED.join(', ')})`,
        );
    }
    tensorOf.set(layer.name, out);
    channelsOf.set(layer.name, inputChannels(layer));
  }

  const featureCount = channelsOf.get(target.name)!;
  emitter.add(node('GlobalAveragePool', [FEATURES], ['features_gap']));
  emitter.add(node('Flatten', ['features_gap'], [EMBEDDING], { axis: 1 }));
  const outputs: { name: string; dims: (number | string)[] }[] = [{ name: EMBEDDING, dims: ['N', featureCount] }];
  for (const [head, classes] of Object.entries(options.heads)) {
    const h = headNodes(head, EMBEDDING, FEATURES, featureCount, {
      weight: new Float32Array(classes * featureCount),
      bias: new Float32Array(classes),
      classes,
    });
    for (const n of h.nodes) emitter.add(n);
    for (const t of h.initializers) emitter.init(t);
    outputs.push({ name: `${head}_logits`, dims: ['N', classes] }, { name: `${head}_cam`, dims: ['N', classes, 'h', 'w'] });
  }
  if (options.exposeFeatures) outputs.push({ name: FEATURES, dims: ['N', featureCount, 'h', 'w'] });
  const model = buildModel({
    name: options.name ?? 'backbone',
    nodes: emitter.nodes,
    initializers: emitter.initializers,
    inputs: [{ name: INPUT, dims: ['N', 3, 'H', 'W'] }],
    outputs,
    ...(options.docString ? { docString: options.docString } : {}),
  });
  return { model, featureCount, layerCounts: emitter.counts };
}

const SUPPORTED = [
  'InputLayer',
  'ZeroPadding2D',
  'Conv2D',
  'DepthwiseConv2D',
  'BatchNormalization',
  'ReLU',
  'Activation',
  'Add',
  'Concatenate',
  'MaxPooling2D',
  'AveragePooling2D',
  'Dropout',
];

type Activation = 'relu' | 'sigmoid' | 'tanh' | { clipMax: number };

class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly counts: Record<string, number> = {};
  /** Pads [top, left, bottom, right] from a ZeroPadding2D folded into the named convolution. */
  readonly pendingPads = new Map<string, [number, number, number, number]>();
  private clipBounds = false;

  add(n: NodeProto): void {
    this.nodes.push(n);
  }
  init(t: TensorProto): void {
    this.initializers.push(t);
  }
  count(className: string): void {
    this.counts[className] = (this.counts[className] ?? 0) + 1;
  }
  activation(a: Activation, from: string, to: string): void {
    if (a === 'relu') return this.add(node('Relu', [from], [to]));
    if (a === 'sigmoid') return this.add(node('Sigmoid', [from], [to]));
    if (a === 'tanh') return this.add(node('Tanh', [from], [to]));
    // Opset 13 Clip takes its bounds as scalar inputs, shared by every ReLU6.
    const max = `clip_max_${a.clipMax}`;
    if (!this.clipBounds) {
      this.init(floatTensor('clip_min_0', [], [0]));
      this.clipBounds = true;
    }
    if (!this.initializers.some((t) => t.name === max)) this.init(floatTensor(max, [], [a.clipMax]));
    this.add(node('Clip', [from, 'clip_min_0', max], [to]));
  }
}

function activationOf(value: unknown, layer: KerasLayer): Activation | undefined {
  if (value === undefined || value === null || value === 'linear') return undefined;
  if (value === 'relu' || value === 'sigmoid' || value === 'tanh') return value;
  if (value === 'relu6') return { clipMax: 6 };
  throw new ModelError(`layer ${layer.name}: activation '${String(value)}' is not supported (linear, relu, relu6, sigmoid, tanh)`);
}

function weight(layer: KerasLayer, name: string, alias?: string): KerasWeight {
  const w = layer.weights.find((x) => x.name === name || x.name === alias);
  if (!w) throw new ModelError(`layer ${layer.name}: no weight '${name}' (has ${layer.weights.map((x) => x.name).join(', ') || 'none'})`);
  return w;
}

function pair(value: unknown, what: string, layer: KerasLayer): [number, number] {
  const v = typeof value === 'number' ? [value, value] : (value as number[] | undefined);
  if (!Array.isArray(v) || v.length !== 2) throw new ModelError(`layer ${layer.name}: ${what} ${JSON.stringify(value)} is not a pair`);
  return [v[0]!, v[1]!];
}

/** Keras accepts `p`, `[h, w]` or `[[top, bottom], [left, right]]`. */
function zeroPadding(cfg: Record<string, unknown>): [[number, number], [number, number]] {
  const p = cfg.padding as number | [number, number] | [[number, number], [number, number]];
  if (typeof p === 'number')
    return [
      [p, p],
      [p, p],
    ];
  if (typeof p[0] === 'number')
    return [
      [p[0], p[0]],
      [p[1] as number, p[1] as number],
    ];
  return p as [[number, number], [number, number]];
}

/**
 * ONNX padding attributes for Keras `valid`/`same`. For `same` the total padding per axis is
 * max((ceil(in/s) - 1) * s + (k - 1) * d + 1 - in, 0) with the extra pixel after (bottom/right). At
 * stride 1 that is (k - 1) * d whatever the input size, so explicit pads keep the graph static;
 * at larger strides it depends on the input size, which `SAME_UPPER` computes at run time.
 */
export function padAttributes(
  padding: unknown,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
  extra: [number, number, number, number] | undefined,
  layer: Pick<KerasLayer, 'name'>,
): Record<string, number[] | string> {
  if (padding === 'valid') return { pads: extra ?? [0, 0, 0, 0] };
  if (padding !== 'same') throw new ModelError(`layer ${layer.name}: padding '${String(padding)}' is not supported (valid, same)`);
  if (extra) throw new ModelError(`layer ${layer.name}: ZeroPadding2D before a 'same' convolution cannot be folded`);
  if (strides[0] === 1 && strides[1] === 1) {
    const total = [0, 1].map((a) => (kernel[a]! - 1) * dilations[a]!);
    const before = total.map((t) => Math.floor(t / 2));
    return { pads: [before[0]!, before[1]!, total[0]! - before[0]!, total[1]! - before[1]!] };
  }
  return { auto_pad: 'SAME_UPPER' };
}

/** Keras Conv2D kernel [kh, kw, cin, cout] -> ONNX Conv weight [cout, cin, kh, kw]. */
export function convKernelToOnnx(kernel: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++) out[((o * cin + c) * kh + i) * kw + j] = kernel[((i * kw + j) * cin + c) * cout + o]!;
  return out;
}

/**
 * Keras DepthwiseConv2D kernel [kh, kw, cin, multiplier] -> ONNX grouped Conv weight
 * [cin * multiplier, 1, kh, kw] with group = cin; TF orders output channels c * multiplier + m,
 * which is exactly ONNX's group-major order.
 */
export function depthwiseKernelToOnnx(kernel: Float32Array, kh: number, kw: number, cin: number, multiplier: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let m = 0; m < multiplier; m++)
          out[((c * multiplier + m) * kh + i) * kw + j] = kernel[((i * kw + j) * cin + c) * multiplier + m]!;
  return out;
}

/** Inference-time BatchNormalization as y = x * scale + shift per channel. */
export function batchNormScaleShift(layer: KerasLayer, channels: number): { scale: Float32Array; shift: Float32Array } {
  const axis = layer.config.axis as number | number[] | undefined;
  const channelAxis = (a: unknown) => a === -1 || a === 3 || a === undefined;
  if (!(Array.isArray(axis) ? axis.length === 1 && channelAxis(axis[0]) : channelAxis(axis))) {
    throw new ModelError(`layer ${layer.name}: BatchNormalization over axis ${JSON.stringify(axis)}; only the channel axis is supported`);
  }
  const epsilon = (layer.config.epsilon as number | undefined) ?? 1e-3;
  const mean = weight(layer, 'moving_mean').values;
  const variance = weight(layer, 'moving_variance').values;
  const gamma = layer.config.scale === false ? undefined : weight(layer, 'gamma').values;
  const beta = layer.config.center === false ? undefined : weight(layer, 'beta').values;
  if (mean.length !== channels) throw new ModelError(`layer ${layer.name}: ${mean.length} statistics for ${channels} channels`);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    // Float64 arithmetic, rounded once, keeps the fold within float32 rounding of TF's own order.
    const s = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + epsilon);
    scale[c] = s;
    shift[c] = (beta ? beta[c]! : 0) - mean[c]! * s;
  }
  return { scale, shift };
}

/** Folds y = conv(x) * scale + shift into the convolution: W[o] *= scale[o], b[o] = b[o] * scale[o] + shift[o]. */
export function foldBatchNorm(onnxWeight: Float32Array, bias: Float32Array, scale: Float32Array, shift: Float32Array): void {
  const perOutput = onnxWeight.length / bias.length;
  for (let o = 0; o < bias.length; o++) {
    const s = scale[o]!;
    for (let i = o * perOutput; i < (o + 1) * perOutput; i++) onnxWeight[i] = onnxWeight[i]! * s;
    bias[o] = bias[o]! * s + shift[o]!;
  }
}
