/**
 * Classification metrics from a confusion matrix. Pure.
 *
 * Definitions (also in models/README.md):
 * - accuracy: correct / total.
 * - weighted accuracy (the datathon's metric, as we define it): accuracy with every sample weighted
 *   by 1 / (number of evaluated samples of its true class), so each class present in the data counts
 *   equally whatever its size. With these weights it equals the mean recall over the classes present.
 * - balanced accuracy: mean per-class recall over the classes present in the ground truth
 *   (scikit-learn's `balanced_accuracy_score`); the same number as weighted accuracy under our
 *   definition, reported under both names so either can be compared with other work.
 * - macro-F1: mean F1 over the classes present in the ground truth or the predictions; a class with
 *   no true and no predicted samples is left out (its F1 is undefined).
 */

export interface ClassMetrics {
  label: string;
  /** Evaluated samples whose true class is this one. */
  support: number;
  /** NaN when support is 0. */
  recall: number;
  /** NaN when nothing was predicted as this class. */
  precision: number;
  /** NaN when both are undefined. */
  f1: number;
}

export interface Metrics {
  labels: readonly string[];
  total: number;
  accuracy: number;
  weightedAccuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[t][p]: samples of true class t predicted as p. */
  confusion: number[][];
}

export function confusionMatrix(truth: readonly number[], predicted: readonly number[], classes: number): number[][] {
  if (truth.length !== predicted.length) throw new Error(`confusionMatrix: ${truth.length} truths but ${predicted.length} predictions`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  truth.forEach((t, i) => m[t]![predicted[i]!]!++);
  return m;
}

export function metricsFromConfusion(confusion: readonly (readonly number[])[], labels: readonly string[]): Metrics {
  const k = labels.length;
  let total = 0;
  let correct = 0;
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < k; c++) {
    let support = 0;
    let predictedAs = 0;
    for (let j = 0; j < k; j++) {
      support += confusion[c]![j]!;
      predictedAs += confusion[j]![c]!;
    }
    const tp = confusion[c]![c]!;
    total += support;
    correct += tp;
    const recall = support ? tp / support : NaN;
    const precision = predictedAs ? tp / predictedAs : NaN;
    const f1 = support || predictedAs ? (2 * tp) / (support + predictedAs) : NaN;
    perClass.push({ label: labels[c]!, support, recall, precision, f1 });
  }
  const present = perClass.filter((c) => c.support > 0);
  const balancedAccuracy = present.length ? present.reduce((s, c) => s + c.recall, 0) / present.length : NaN;
  // Weighted accuracy from its own definition (sum of w_i * correct_i / sum of w_i, w_i = 1 / n_class).
  let weightedCorrect = 0;
  let weightSum = 0;
  for (const c of present) {
    const tp = confusion[labels.indexOf(c.label)]![labels.indexOf(c.label)]!;
    weightedCorrect += tp / c.support;
    weightSum += 1;
  }
  const scored = perClass.filter((c) => !Number.isNaN(c.f1));
  return {
    labels,
    total,
    accuracy: total ? correct / total : NaN,
    weightedAccuracy: weightSum ? weightedCorrect / weightSum : NaN,
    balancedAccuracy,
    macroF1: scored.length ? scored.reduce((s, c) => s + c.f1, 0) / scored.length : NaN,
    perClass,
    confusion: confusion.map((row) => [...row]),
  };
}

export function computeMetrics(truth: readonly number[], predicted: readonly number[], labels: readonly string[]): Metrics {
  return metricsFromConfusion(confusionMatrix(truth, predicted, labels.length), labels);
}

/** Index of the largest value in each row of a row-major [n, k] matrix. */
export function argmaxRows(values: Float32Array, k: number): number[] {
  const n = values.length / k;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[i * k + j]! > values[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}
