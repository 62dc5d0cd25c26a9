/**
 * One batch of model-sized frames through the model: both heads (softmax, uncertainty threshold),
 * the embedding and the CAM maps, as FrameResults.
 */
import type { CamMaps, Frame, FrameResult, HeadPrediction } from '../types.js';
import type { ModelCard } from './card.js';
import { framesToTensor } from './preprocess.js';
import type { ModelSession } from './session.js';

export const UNCERTAIN = 'uncertain';

export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

export function headPrediction(logits: ArrayLike<number>, labels: readonly string[], uncertainBelow: number): HeadPrediction {
  const probabilities = softmax(logits);
  let topIndex = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[topIndex]!) topIndex = i;
  const confidence = probabilities[topIndex]!;
  const uncertain = confidence < uncertainBelow;
  return { labels, probabilities, label: uncertain ? UNCERTAIN : labels[topIndex]!, confidence, topIndex, uncertain };
}

export interface PredictOptions {
  /** Override the card's per-head `uncertainBelow`. */
  uncertainBelow?: number;
  /** Fetch CAM outputs (default true when the card names them). */
  cams?: boolean;
  embedding?: boolean;
}

export function outputsFor(card: ModelCard, options: PredictOptions = {}): string[] {
  const names: string[] = [];
  for (const head of Object.values(card.heads)) {
    names.push(head.logits);
    if (head.cam && options.cams !== false) names.push(head.cam);
  }
  if (card.embedding && options.embedding !== false) names.push(card.embedding.output);
  return names;
}

export async function predictBatch(model: ModelSession, frames: readonly Frame[], options: PredictOptions = {}): Promise<FrameResult[]> {
  if (frames.length === 0) return [];
  const card = model.card;
  const { data, dims } = framesToTensor(frames, card);
  const started = performance.now();
  const out = await model.run(data, dims, outputsFor(card, options));
  const perFrameMs = (performance.now() - started) / frames.length;
  return frames.map((frame, n) => {
    const heads: Record<string, HeadPrediction> = {};
    const cams: Record<string, CamMaps> = {};
    for (const [name, spec] of Object.entries(card.heads)) {
      const logits = out[spec.logits]!;
      const k = spec.labels.length;
      heads[name] = headPrediction(logits.data.subarray(n * k, (n + 1) * k), spec.labels, options.uncertainBelow ?? spec.uncertainBelow);
      const cam = spec.cam ? out[spec.cam] : undefined;
      if (cam) {
        const [, classes, h, w] = cam.dims as [number, number, number, number];
        const size = classes * h * w;
        cams[name] = { classes, height: h, width: w, data: cam.data.slice(n * size, (n + 1) * size), method: 'gradcam' };
      }
    }
    const result: FrameResult = { frame, heads, inferenceMs: perFrameMs };
    if (Object.keys(cams).length) result.cams = cams;
    const emb = card.embedding ? out[card.embedding.output] : undefined;
    if (emb) result.embedding = emb.data.slice(n * card.embedding!.length, (n + 1) * card.embedding!.length);
    return result;
  });
}
