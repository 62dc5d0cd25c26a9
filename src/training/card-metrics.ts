/**
 * The model card's measured figures, built from an evaluation report in one place, so every script
 * that writes a card (the linear probe, the fine-tuned model) records them the same way.
 */
import { robustnessSchema } from '../config/training.js';
import type { EvaluateReport } from './evaluate-model.js';
import type { HeadEvaluation } from './evaluation.js';

/** Rounded for the card; non-finite values become null (JSON has no NaN). */
export const round = (v: number, digits = 3) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null);

export function headMetrics(e: HeadEvaluation) {
  return {
    images: e.overall.total,
    weightedAccuracy: round(e.overall.weightedAccuracy),
    balancedAccuracy: round(e.overall.balancedAccuracy),
    macroF1: round(e.overall.macroF1),
    accuracy: round(e.overall.accuracy),
    recall: Object.fromEntries(e.overall.perClass.filter((c) => c.support > 0).map((c) => [c.label, round(c.recall)])),
    confusion: { labels: e.overall.labels, matrix: e.overall.confusion },
    bySource: Object.fromEntries(Object.entries(e.bySource).map(([s, m]) => [s, { images: m.total, accuracy: round(m.accuracy) }])),
    uncertain: { below: round(e.uncertainBelow), flaggedShare: round(e.uncertainFraction), accuracyOfTheRest: round(e.confidentAccuracy) },
  };
}

export function msPerImage(evaluation: EvaluateReport) {
  return { value: round(evaluation.msPerImage, 1), note: 'clean evaluation pass on 2 shared CPU cores, decoding and resizing included' };
}

export function robustnessProvenance(evaluation: EvaluateReport) {
  return {
    measuredOn: 'the same validation images, each perturbation applied to the whole source picture before the crop',
    settings: robustnessSchema.parse({}),
    weightedAccuracyDropPoints: Object.fromEntries(
      evaluation.conditions.slice(1).map((c) => [c.condition, { what: c.description, ...c.dropPoints }]),
    ),
    // The same drops with a 95 % stratified paired-bootstrap interval (2000 resamples) and the
    // number of validation images whose answer changed: small classes make single figures noisy.
    dropIntervals: Object.fromEntries(
      evaluation.conditions
        .slice(1)
        .map((c) => [
          c.condition,
          Object.fromEntries(
            Object.entries(c.drop ?? {}).map(([head, d]) => [head, { low: round(d.low, 1), high: round(d.high, 1), changed: d.changed }]),
          ),
        ]),
    ),
  };
}
