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
  if (report.scored !== 'all') out.push(`scored: the ${report.scored}`, '');
  for (const h of clean.heads) out.push(formatHead(h), '');
  if (report.baseline) out.push(formatComparison(report, report.baseline), '');
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

/**
 * The evaluated model next to the one it was trained from, on the same pictures: weighted accuracy
 * overall and per source, and the change in points.
 */
export function formatComparison(report: EvaluateReport, baseline: EvaluateReport): string {
  const name = (path: string) => path.split(/[\\/]/).pop()!;
  const rows: (string | number)[][] = [];
  const mine = report.conditions[0]!.heads;
  const theirs = baseline.conditions[0]!.heads;
  const points = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? '-' : `${a >= b ? '+' : ''}${(100 * (a - b)).toFixed(1)}`);
  for (const h of mine) {
    const b = theirs.find((t) => t.head === h.head);
    if (!b) continue;
    rows.push([h.head, 'all', h.overall.total, pct(b.overall.weightedAccuracy), pct(h.overall.weightedAccuracy), points(h.overall.weightedAccuracy, b.overall.weightedAccuracy)]);
    for (const [source, m] of Object.entries(h.bySource)) {
      const bm = b.bySource[source];
      if (!bm) continue;
      rows.push([h.head, source, m.total, pct(bm.weightedAccuracy), pct(m.weightedAccuracy), points(m.weightedAccuracy, bm.weightedAccuracy)]);
    }
  }
  return [
    `${name(report.model)} next to ${name(baseline.model)}, on the same ${report.images} pictures (weighted accuracy %)`,
    table(['head', 'source', 'images', name(baseline.model), name(report.model), 'change (points)'], rows),
  ].join('\n');
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
  const data = (typeof report.data === 'string' ? [report.data] : report.data).map((d) => `--data ${d}`).join(' ');
  out.push(`next to ${report.baseModel} on the held-out pictures: rovlens evaluate ${report.modelPath} ${data} --validation-only`);
  return out.join('\n');
}
