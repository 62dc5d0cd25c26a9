/** Plain-text tables for `train` and `evaluate` (JSON output is the report objects themselves). */
import type { Metrics } from './metrics.js';
import type { HeadEvaluation } from './evaluation.js';
import type { EvaluateReport } from './evaluate-model.js';
import type { TrainReport } from './train-heads.js';

const pct = (v: number) => (Number.isNaN(v) ? '-' : (100 * v).toFixed(1));

export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]?.length ?? 0)));
  const line = (r: string[]) =>
    r
      .map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function formatConfusion(m: Metrics): string {
  const present = m.labels.map((_, c) => c).filter((c) => m.perClass[c]!.support > 0 || m.confusion.some((row) => row[c]! > 0));
  return table(
    ['true \\ predicted', ...present.map((c) => m.labels[c]!)],
    present.map((t) => [m.labels[t]!, ...present.map((p) => m.confusion[t]![p]!)]),
  );
}

export function formatHead(e: HeadEvaluation): string {
  const m = e.overall;
  const lines = [
    `${e.head}: ${m.total} images  weighted accuracy ${pct(m.weightedAccuracy)} %  balanced accuracy ${pct(m.balancedAccuracy)} %  macro-F1 ${pct(m.macroF1)} %  accuracy ${pct(m.accuracy)} %`,
    `  uncertain below ${e.uncertainBelow.toFixed(3)}: ${pct(e.uncertainFraction)} % of answers flagged; accuracy of the rest ${pct(e.confidentAccuracy)} %`,
    '',
    table(
      ['class', 'support', 'recall %', 'precision %', 'F1 %'],
      m.perClass.map((c) => [c.label, c.support, pct(c.recall), pct(c.precision), pct(c.f1)]),
    ),
    '',
    formatConfusion(m),
  ];
  const sources = Object.entries(e.bySource);
  if (sources.length) {
    lines.push(
      '',
      table(
        ['source', 'images', 'accuracy %', 'weighted acc. %'],
        sources.map(([s, sm]) => [s, sm.total, pct(sm.accuracy), pct(sm.weightedAccuracy)]),
      ),
    );
  }
  return lines.join('\n');
}

export function formatEvaluation(report: EvaluateReport): string {
  const out = [
    `model ${report.model} at ${report.inputSizePx.width}x${report.inputSizePx.height}, ${report.images} images, ${report.msPerImage.toFixed(1)} ms/image (clean pass, decoding included)`,
    '',
  ];
  const clean = report.conditions[0]!;
  for (const h of clean.heads) out.push(formatHead(h), '');
  if (report.conditions.length > 1) {
    const heads = clean.heads.map((h) => h.head);
    out.push(
      'robustness (weighted accuracy %; drop from clean in points with its 95 % paired-bootstrap interval; answers changed)',
      table(
        ['condition', ...heads.flatMap((h) => [`${h} %`, `${h} drop`, `${h} 95 % interval`, `${h} changed`]), 'what'],
        report.conditions.map((c) => [
          c.condition,
          ...c.heads.flatMap((h) => {
            const d = c.drop?.[h.head];
            return d
              ? [pct(h.overall.weightedAccuracy), d.points.toFixed(1), `${d.low.toFixed(1)} .. ${d.high.toFixed(1)}`, `${d.changed}`]
              : [pct(h.overall.weightedAccuracy), '-', '-', '-'];
          }),
          c.description,
        ]),
      ),
    );
  }
  return out.join('\n');
}

export function formatTraining(report: TrainReport): string {
  const out = [
    `wrote ${report.modelPath} and ${report.cardPath}`,
    `input ${report.inputSizePx.width}x${report.inputSizePx.height}; embeddings ${report.embedSeconds.toFixed(1)} s; heads ${report.trainSeconds.toFixed(1)} s`,
    '',
  ];
  for (const h of report.heads) {
    out.push(
      `${h.head}: ${h.split} split, ${h.trainImages} training images (${h.trainSamples} samples with views), ${h.validationImages} validation images; written graph matches the trained head to ${h.writtenModelMaxLogitError.toExponential(1)}`,
      `  class weights: ${Object.entries(h.classWeights)
        .map(([l, w]) => `${l} ${w}`)
        .join(', ')}`,
      `validation ${formatHead(h.validation)}`,
      '',
    );
  }
  return out.join('\n');
}
