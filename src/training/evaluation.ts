/**
 * Evaluation of head predictions: overall and per source, and the choice of the 'uncertain'
 * threshold. Pure.
 */
import { computeMetrics, type Metrics } from './metrics.js';
import { softmax } from '../model/predict.js';

export interface HeadEvaluation {
  head: string;
  overall: Metrics;
  /** Per source (images/<source>), when the data names sources. */
  bySource: Record<string, Metrics>;
  /** Share of answers below the card's threshold, and the accuracy of the others. */
  uncertainBelow: number;
  uncertainFraction: number;
  confidentAccuracy: number;
}

export function evaluateHead(
  head: string,
  labels: readonly string[],
  truth: readonly number[],
  logits: Float32Array,
  sources: readonly (string | undefined)[],
  uncertainBelow: number,
): HeadEvaluation {
  const { predicted, confidence } = topClasses(logits, labels.length);
  const bySource: Record<string, Metrics> = {};
  const names = [...new Set(sources.filter((s): s is string => s !== undefined))].sort();
  for (const source of names) {
    const idx = sources.map((s, i) => (s === source ? i : -1)).filter((i) => i >= 0);
    bySource[source] = computeMetrics(
      idx.map((i) => truth[i]!),
      idx.map((i) => predicted[i]!),
      labels,
    );
  }
  const confident = truth.map((_, i) => i).filter((i) => confidence[i]! >= uncertainBelow);
  return {
    head,
    overall: computeMetrics(truth, predicted, labels),
    bySource,
    uncertainBelow,
    uncertainFraction: truth.length ? 1 - confident.length / truth.length : 0,
    confidentAccuracy: confident.length ? confident.filter((i) => predicted[i] === truth[i]).length / confident.length : NaN,
  };
}

/** Each image's top class and its probability, from logits [images, classes]. */
export function topClasses(logits: Float32Array, classes: number): { predicted: number[]; confidence: number[] } {
  const predicted: number[] = [];
  const confidence: number[] = [];
  for (let i = 0; i < logits.length / classes; i++) {
    const p = softmax(logits.subarray(i * classes, (i + 1) * classes));
    let top = 0;
    for (let c = 1; c < classes; c++) if (p[c]! > p[top]!) top = c;
    predicted.push(top);
    confidence.push(p[top]!);
  }
  return { predicted, confidence };
}

/**
 * The threshold that flags about `fraction` of the given answers as uncertain: the `fraction`
 * quantile of their top-class probabilities (0 when `fraction` is 0 or there are no answers).
 */
export function thresholdForFraction(logits: Float32Array, classes: number, fraction: number): number {
  const n = logits.length / classes;
  if (!n || fraction <= 0) return 0;
  const tops: number[] = [];
  for (let i = 0; i < n; i++) tops.push(Math.max(...softmax(logits.subarray(i * classes, (i + 1) * classes))));
  tops.sort((a, b) => a - b);
  return tops[Math.min(n - 1, Math.floor(fraction * n))]!;
}
