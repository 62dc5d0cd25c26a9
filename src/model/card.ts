/**
 * The model card: a JSON file beside the .onnx that says how to feed the graph and read its outputs.
 * Pre-processing is driven by the card, never by constants in the code.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve, basename } from 'node:path';
import { z } from 'zod';
import { ModelError } from '../errors.js';

const perChannel = z.union([z.number(), z.tuple([z.number(), z.number(), z.number()])]);

const scalingSchema = z.union([
  /** value = (pixel / 255 - mean) / std, pixel in 0..255 (torchvision style). */
  z.object({ mean: perChannel, std: perChannel }).strict(),
  /** value = pixel * scale + offset, pixel in 0..255 (e.g. scale 1/127.5, offset -1 for [-1, 1]). */
  z.object({ scale: perChannel, offset: perChannel }).strict(),
]);

const headSchema = z
  .object({
    /** Name of the logits output, shape [N, labels.length]. */
    logits: z.string().min(1),
    labels: z.array(z.string().min(1)).min(2),
    /** Name of the CAM output [N, labels.length, h, w] (W . A, no bias, no ReLU), when the graph has one. */
    cam: z.string().min(1).optional(),
    /**
     * Name of an output with the feature map the head pools [N, K, h, w], when the graph has one: what
     * the gradient-free Score-CAM masks the input with for a head without a CAM output.
     */
    features: z.string().min(1).optional(),
    /** Below this top-class probability the head answers 'uncertain'. 0 disables. */
    uncertainBelow: z.number().min(0).max(1).default(0),
  })
  .strict();

export const modelCardSchema = z
  .object({
    schemaVersion: z.literal(1),
    name: z.string().min(1),
    /** The .onnx file, relative to the card. */
    file: z.string().min(1),
    input: z
      .object({
        name: z.string().min(1),
        layout: z.literal('NCHW'),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        channelOrder: z.enum(['RGB', 'BGR']),
        scaling: scalingSchema,
      })
      .strict(),
    crop: z
      .object({
        widthFraction: z.number().gt(0).max(1),
        heightFraction: z.number().gt(0).max(1),
      })
      .strict(),
    heads: z.record(z.string().min(1), headSchema).refine((h) => Object.keys(h).length > 0, 'at least one head'),
    embedding: z
      .object({ output: z.string().min(1), length: z.number().int().positive() })
      .strict()
      .optional(),
    /** Free-form but expected: backbone source and licence, training data, metrics with their data. */
    provenance: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type ModelCard = z.infer<typeof modelCardSchema>;
export type HeadSpec = z.infer<typeof headSchema>;

export interface LoadedCard {
  card: ModelCard;
  cardPath: string;
  modelPath: string;
}

/** Per-channel affine map from 0..255 pixels to model input: value = pixel * scale[c] + offset[c]. */
export interface ChannelAffine {
  scale: [number, number, number];
  offset: [number, number, number];
}

const triple = (v: number | [number, number, number]): [number, number, number] => (typeof v === 'number' ? [v, v, v] : v);

export function channelAffine(card: ModelCard): ChannelAffine {
  const s = card.input.scaling;
  if ('mean' in s) {
    const mean = triple(s.mean);
    const std = triple(s.std);
    return {
      scale: [0, 1, 2].map((c) => 1 / (255 * std[c]!)) as [number, number, number],
      offset: [0, 1, 2].map((c) => -mean[c]! / std[c]!) as [number, number, number],
    };
  }
  return { scale: triple(s.scale), offset: triple(s.offset) };
}

/** Validates a parsed card; the error names the field that is wrong. */
export function parseModelCard(json: unknown, where = 'model card'): ModelCard {
  const parsed = modelCardSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    throw new ModelError(`${where}: field '${field}': ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Accepts the card (.json) or the model (.onnx, with `<name>.json` or `<name>.card.json` beside it).
 */
export function loadModelCard(path: string): LoadedCard {
  const abs = resolve(path);
  const candidates = abs.endsWith('.json') ? [abs] : [abs.replace(/\.onnx$/, '.card.json'), abs.replace(/\.onnx$/, '.json')];
  const cardPath = candidates.find((c) => existsSync(c));
  if (!cardPath) {
    if (!existsSync(abs)) throw new ModelError(`model not found: ${path}`);
    throw new ModelError(`no model card beside ${basename(path)}: expected ${candidates.map((c) => basename(c)).join(' or ')}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cardPath, 'utf8'));
  } catch (error) {
    throw new ModelError(`model card ${basename(cardPath)} is not valid JSON: ${(error as Error).message}`);
  }
  const card = parseModelCard(json, `model card ${basename(cardPath)}`);
  const modelPath = resolve(dirname(cardPath), card.file);
  if (!existsSync(modelPath)) throw new ModelError(`model card ${basename(cardPath)}: field 'file': ${card.file} does not exist`);
  return { card, cardPath, modelPath };
}
