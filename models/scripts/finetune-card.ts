/**
 * The card of a model fine-tuned by finetune.py, measured by rovlens itself: the default card's
 * structure (backbone, licences, data, known weaknesses), the fine-tuning record finetune.py wrote,
 * each head's 'uncertain' threshold (the top-class probability below which 10 % of validation
 * answers fall, as `rovlens train` chooses it), then `evaluateModel` on the validation part of the
 * group split, clean and under every robustness perturbation, and the localisation bench's figures.
 *
 * Usage: npx tsx models/scripts/finetune-card.ts --model models/build/rovlens-finetuned.onnx
 *          --localisation models/build/localisation-finetuned.json [--base models/rovlens-default.card.json]
 *          [--data ../shared/data/manifest.csv]
 * Rewrites the model's card in place (its file name and the fine-tuning record are kept).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { trainingOptionsSchema } from '../../src/config/training.js';
import { loadModelCard, parseModelCard } from '../../src/model/card.js';
import { ModelSession } from '../../src/model/session.js';
import { loadDataset } from '../../src/training/dataset.js';
import { runImages } from '../../src/training/embed.js';
import { headMetrics, msPerImage, robustnessProvenance, round } from '../../src/training/card-metrics.js';
import { evaluateModel } from '../../src/training/evaluate-model.js';
import { thresholdForFraction } from '../../src/training/evaluation.js';
import { headLabels } from '../../src/training/heads.js';
import { boxedLocalisationProvenance } from '../../src/training/localisation-card.js';
import { headSplits } from '../../src/training/train-heads.js';

const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(PACKAGE_ROOT, 'models', 'build', 'rovlens-finetuned.onnx') },
    base: { type: 'string', default: join(PACKAGE_ROOT, 'models', 'rovlens-default.card.json') },
    data: { type: 'string', default: join(process.env.ROVLENS_DATA ?? resolve(PACKAGE_ROOT, '../shared/data'), 'manifest.csv') },
    localisation: { type: 'string' },
  },
});

const { card: tuned, cardPath } = loadModelCard(values.model!);
const base = parseModelCard(JSON.parse(readFileSync(values.base!, 'utf8')));
const options = trainingOptionsSchema.parse({});

// 'uncertain' thresholds from the fine-tuned model's own validation answers.
const heads = Object.keys(tuned.heads);
const images = loadDataset(values.data!, headLabels(tuned, heads)).images;
const splits = headSplits(images, tuned, heads, options);
const session = await ModelSession.open(values.model!);
const uncertainBelow: Record<string, number> = {};
for (const s of splits) {
  const items = s.validation.map((v) => ({ path: images[s.members[v]!]!.path, id: images[s.members[v]!]!.id }));
  const spec = tuned.heads[s.head]!;
  const out = await runImages(session, items, [spec.logits], { batchSize: options.batchSize, card: tuned });
  uncertainBelow[s.head] = round(thresholdForFraction(out[spec.logits]!, spec.labels.length, options.uncertainFraction))!;
}
await session.close();
const withThresholds = {
  ...tuned,
  heads: Object.fromEntries(Object.entries(tuned.heads).map(([h, spec]) => [h, { ...spec, uncertainBelow: uncertainBelow[h]! }])),
};
writeFileSync(cardPath, `${JSON.stringify(withThresholds, null, 2)}\n`);

const evaluation = await evaluateModel({
  model: values.model!,
  data: values.data!,
  validationOnly: { seed: options.seed, validationFraction: options.validationFraction, split: options.split },
  robustness: true,
});
const clean = evaluation.conditions[0]!;
const finetuning = tuned.provenance?.finetuning as Record<string, unknown>;

const localisation = values.localisation
  ? boxedLocalisationProvenance(
      values.localisation,
      'the boxed images are development images: most lie in the training groups of the element head (the fine-tuned backbone and heads were fitted on most of them with their element labels, never on their boxes); the subset in the validation split is small. Boxes are rough (+-0.02), drawn by eye',
    )
  : undefined;

const basePro = base.provenance as Record<string, unknown>;
const card = parseModelCard({
  ...base,
  name: tuned.name,
  file: tuned.file,
  heads: withThresholds.heads,
  provenance: {
    ...basePro,
    heads: `fine-tuned end to end (backbone and both heads) on 2 CPU cores by models/scripts/finetune.py, starting from the linear-probe model that models/scripts/train-default.ts (rovlens train) wrote; kept epoch ${String(finetuning?.epochs)}, chosen on a selection split inside the training groups`,
    finetuning,
    validation: Object.fromEntries(
      clean.heads.map((h) => [
        h.head,
        { weightedAccuracy: round(h.overall.weightedAccuracy), accuracy: round(h.overall.accuracy), images: h.overall.total },
      ]),
    ),
    metrics: {
      measuredOn: `the written model (ONNX Runtime, card crop and input size) on the validation part of the group split of the development manifest (manifest.csv: path, floor, element, group): ${clean.heads.map((h) => `${h.head} ${h.overall.total} images`).join(', ')}; none of them entered fine-tuning`,
      definitions: (basePro.metrics as Record<string, unknown>).definitions,
      ...Object.fromEntries(clean.heads.map((h) => [h.head, headMetrics(h)])),
      msPerImage: msPerImage(evaluation),
    },
    robustness: robustnessProvenance(evaluation),
    selection:
      'linear-probe settings (input size, L2, views) as before: chosen on the validation split, see models/README.md. Fine-tuning settings: learning rates lowered once after a first run whose selection-split scores fell epoch after epoch; the epoch kept is the best mean weighted accuracy of both heads on the selection split inside the training groups, never on validation',
    ...(localisation ? { localisation } : {}),
  },
});
writeFileSync(cardPath, `${JSON.stringify(card, null, 2)}\n`);
for (const h of clean.heads)
  process.stdout.write(
    `${h.head}: weighted accuracy ${(100 * h.overall.weightedAccuracy).toFixed(1)} %, uncertain below ${uncertainBelow[h.head]}\n`,
  );
process.stdout.write(`card written: ${cardPath}\n`);
