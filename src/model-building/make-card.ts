/**
 * A model card for an ONNX classifier made elsewhere (PyTorch, Keras through tf2onnx, ...), from
 * its graph and what only its owner knows (labels, scaling), so any classifier can run through
 * rovlens. The graph gives the input name and size and the outputs; an NHWC input (tf2onnx) gets a
 * Transpose in front so the model takes NCHW like every rovlens model; each head's logits output is
 * matched by its class count; and the card says how each head's heatmap will be made.
 */
import { basename } from 'node:path';
import { ModelError, UsageError } from '../errors.js';
import { findPooledFeatures, findPoolingHead } from './add-cam-outputs.js';
import { modelCardSchema, type ModelCard } from '../model/card.js';
import { node, valueInfo, type ModelProto } from './onnx-graph.js';
import type { ScalingName } from '../config/card.js';

/** Pixel scalings people export with: value = pixel * scale + offset, or torchvision's mean/std. */
export const SCALINGS = {
  unit: { scale: 1 / 255, offset: 0 },
  symmetric: { scale: 1 / 127.5, offset: -1 },
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  // Keras' 'caffe' mode (ResNet50 and friends): BGR order, ImageNet means subtracted, no scaling.
  caffe: { scale: 1, offset: [-103.939, -116.779, -123.68] },
} as const satisfies Record<ScalingName, unknown>;
export type { ScalingName };

export interface CardRequest {
  /** Head name -> labels in output order. */
  heads: Record<string, string[]>;
  /** Head name -> output name, where the class count alone does not say which output it is. */
  logits?: Record<string, string>;
  scaling: ScalingName;
  channelOrder?: 'RGB' | 'BGR';
  /**
   * The output that is the embedding (pooled features, for grouping and clustering); by default the
   * one 2-D output no head takes, or the one of those with 64 values or more.
   */
  embedding?: string;
  /** Needed when the graph's input size is dynamic. */
  inputSize?: number;
  crop?: { widthFraction: number; heightFraction: number };
  /** The .onnx file the card will sit beside (its name goes into the card). */
  modelFile: string;
}

export interface HeatmapPlan {
  head: string;
  method: 'gradcam' | 'score-cam' | 'occlusion';
  why: string;
}

export interface MadeCard {
  /** With `embedding.length` 1 when the graph leaves it dynamic: measure it by running the model. */
  card: ModelCard;
  /** The input was NHWC and the graph now starts with a Transpose from NCHW (write it out). */
  transposedInput: boolean;
  heatmaps: HeatmapPlan[];
}

type Dim = number | string;
const dimsOf = (info: {
  type?: { tensorType?: { shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null } | null;
}): Dim[] =>
  (info.type?.tensorType?.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : (d.dimParam ?? '?'),
  );
const shown = (dims: Dim[]) => `[${dims.join(',')}]`;

export function makeCard(model: ModelProto, request: CardRequest): MadeCard {
  const graph = model.graph;
  if (!graph) throw new ModelError('the file has no ONNX graph');
  const constants = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !constants.has(i.name));
  if (inputs.length !== 1)
    throw new ModelError(`expected one image input, the graph has ${inputs.length}: ${inputs.map((i) => i.name).join(', ')}`);
  const input = inputs[0]!;
  const dims = dimsOf(input);
  if (dims.length !== 4) throw new ModelError(`input '${input.name}' is ${shown(dims)}; an image classifier takes [N,3,H,W] or [N,H,W,3]`);
  const nhwc = dims[1] !== 3 && dims[3] === 3;
  if (!nhwc && dims[1] !== 3) throw new ModelError(`input '${input.name}' is ${shown(dims)}: no axis of 3 colour channels at 1 or 3`);
  const [h, w] = nhwc ? [dims[1], dims[2]] : [dims[2], dims[3]];
  const fixed = typeof h === 'number' && typeof w === 'number' ? { width: w, height: h } : undefined;
  if (fixed && request.inputSize !== undefined && (fixed.width !== request.inputSize || fixed.height !== request.inputSize))
    throw new UsageError(`the graph's input is fixed at ${fixed.width}x${fixed.height}; --input-size ${request.inputSize} does not fit it`);
  const size = fixed ?? (request.inputSize !== undefined ? { width: request.inputSize, height: request.inputSize } : undefined);
  if (!size) throw new UsageError(`input '${input.name}' has a dynamic size ${shown(dims)}: give --input-size <px>`);

  let inputName = input.name!;
  if (nhwc) {
    // The Transpose takes the old input's name as its output, so the rest of the graph is untouched.
    inputName = `${input.name}_nchw`;
    graph.node = [node('Transpose', [inputName], [input.name!], { perm: [0, 2, 3, 1] }), ...(graph.node ?? [])];
    graph.input = (graph.input ?? []).map((i) => (i === input ? valueInfo(inputName, [dims[0] ?? 'N', 3, h ?? 'H', w ?? 'W']) : i));
  }

  const outputs = (graph.output ?? []).map((o) => ({ name: o.name!, dims: dimsOf(o) }));
  const taken = new Set<string>();
  const heads: ModelCard['heads'] = {};
  for (const [head, labels] of Object.entries(request.heads)) {
    const asked = request.logits?.[head];
    const candidates = asked
      ? outputs.filter((o) => o.name === asked)
      : outputs.filter((o) => !taken.has(o.name) && o.dims.length === 2 && (o.dims[1] === labels.length || typeof o.dims[1] === 'string'));
    const list = outputs.map((o) => `${o.name} ${shown(o.dims)}`).join(', ');
    if (asked && !candidates.length) throw new UsageError(`--logits ${head}=${asked}: no such output (outputs: ${list})`);
    if (candidates.length !== 1)
      throw new UsageError(
        `cannot tell which output is head '${head}' (${labels.length} classes): give --logits ${head}=<output> (outputs: ${list})`,
      );
    const out = candidates[0]!;
    if (typeof out.dims[1] === 'number' && out.dims[1] !== labels.length)
      throw new ModelError(`output '${out.name}' gives ${out.dims[1]} values per image, but head '${head}' has ${labels.length} labels`);
    taken.add(out.name);
    heads[head] = { logits: out.name, labels, uncertainBelow: 0 };
  }

  // The embedding: named, or the one 2-D output left over (it gets its length from the check run when dynamic).
  const rest = outputs.filter((o) => !taken.has(o.name) && o.dims.length === 2);
  // Unnamed, it is the one leftover, or the one leftover wide enough to be features rather than logits.
  const wide = rest.filter((o) => typeof o.dims[1] === 'number' && o.dims[1] >= 64);
  const embeddingOutput = request.embedding
    ? outputs.find((o) => o.name === request.embedding)
    : rest.length === 1
      ? rest[0]
      : wide.length === 1
        ? wide[0]
        : undefined;
  if (request.embedding && !embeddingOutput) throw new UsageError(`--embedding ${request.embedding}: no such output`);
  if (embeddingOutput && (embeddingOutput.dims.length !== 2 || taken.has(embeddingOutput.name)))
    throw new UsageError(`--embedding ${embeddingOutput.name}: the embedding must be a 2-D output no head uses`);
  const embedding = embeddingOutput
    ? { output: embeddingOutput.name, length: typeof embeddingOutput.dims[1] === 'number' ? embeddingOutput.dims[1] : 1 }
    : undefined;

  const heatmaps = Object.entries(heads).map(([head, spec]): HeatmapPlan => {
    const linear = findPoolingHead(model, spec.logits);
    if (!('reason' in linear)) return { head, method: 'gradcam', why: 'pooling + linear head: exact Grad-CAM added on load' };
    const pooled = findPooledFeatures(model, spec.logits);
    if (!('reason' in pooled)) return { head, method: 'score-cam', why: `${linear.reason}; its pooled feature map is used` };
    return { head, method: 'occlusion', why: linear.reason };
  });

  const scaling = SCALINGS[request.scaling];
  const card = modelCardSchema.parse({
    schemaVersion: 1,
    name: basename(request.modelFile).replace(/\.onnx$/i, ''),
    file: basename(request.modelFile),
    input: {
      name: inputName,
      layout: 'NCHW',
      ...size,
      channelOrder: request.channelOrder ?? (request.scaling === 'caffe' ? 'BGR' : 'RGB'),
      scaling: structuredClone(scaling),
    },
    crop: request.crop ?? { widthFraction: 1, heightFraction: 1 },
    heads,
    ...(embedding ? { embedding } : {}),
    provenance: {
      card: 'written by rovlens card from the graph and the labels and scaling given; no metrics measured (rovlens evaluate)',
    },
  });
  return { card, transposedInput: nhwc, heatmaps };
}
