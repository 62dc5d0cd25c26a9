/**
 * `rovlens evaluate <model> --data <dir|manifest.csv>`: weighted accuracy, balanced accuracy,
 * macro-F1, per-class recall, confusion matrix, per source; with --robustness the same under
 * resolution, compression, blur, brightness/contrast, hue and ROV-structure perturbations.
 */
import type { Command } from 'commander';
import { parseFlags } from '../config/flags.js';
import { evaluateOptionsSchema } from '../config/training.js';
import { UsageError } from '../errors.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';
import { collect, progressLine } from './train.js';

/** Each option's flag and its help here; default, choices and check come from evaluateOptionsSchema. */
const FLAGS: FlagTable<typeof evaluateOptionsSchema> = {
  task: { flag: '--task <task>', help: 'which heads to score' },
  robustness: { flag: '--robustness', help: 'also score under each perturbation and report the drop from clean' },
  validationOnly: {
    flag: '--validation-only',
    help: "score only what training held out: the groups recorded in the model's card by `rovlens train`, else the split it makes (same --seed, --split, --validation-fraction)",
  },
  bySource: {
    flag: '--by-source',
    help: "leave one source out (images/<source>): for each source, a head trained on every other source is scored on it, beside the model's own head",
  },
  minSourceImages: { flag: '--min-source-images <n>', help: 'with --by-source: sources with fewer labelled images get no fold' },
  balanceSources: { flag: '--balance-sources', help: 'with --by-source: weight the training images so every source counts the same' },
  seed: { flag: '--seed <n>', help: 'seed of the split, with --validation-only' },
  split: { flag: '--split <split>', help: 'split kind, with --validation-only' },
  validationFraction: { flag: '--validation-fraction <f>', help: 'validation share, with --validation-only' },
  batchSize: { flag: '--batch-size <n>', help: 'images per ONNX Runtime run' },
  json: { flag: '--json', help: 'print the report as JSON' },
  baseline: { flag: '--baseline <model>' },
};

export function register(program: Command): void {
  const command = program
    .command('evaluate')
    .description('score a model on labelled images: weighted accuracy, per class, per source, robustness')
    .argument('<model>', 'the .onnx model (its card beside it) or the card')
    .requiredOption(
      '--data <dir|csv|json>',
      'labelled data, repeatable, as rovlens train takes it (class folders, manifest CSV, review labels CSV, VIAME CSV, COCO JSON)',
      collect,
      [],
    )
    .option('--no-baseline', 'no comparison with another model');
  addSchemaOptions(command, evaluateOptionsSchema, FLAGS)
    .option('-q, --quiet', 'no progress line')
    .addHelpText(
      'after',
      `
Metrics: weighted accuracy = accuracy with each image weighted by 1 / (images of its true class), so
every class present counts equally (it equals the mean per-class recall, i.e. balanced accuracy).

Examples:
  rovlens evaluate models/rovlens-default.onnx --data ../data/manifest.csv --validation-only
  rovlens evaluate my-model.onnx --data photos/ --task element --robustness --json > report.json
  rovlens evaluate models/rovlens-default.onnx --data ../data/manifest.csv --by-source   # how it does on a new lab's footage
  rovlens evaluate site.onnx --data dive42.labels.csv --validation-only   # next to the model it was trained from

Exit codes: 0 ok, 2 usage, 3 data missing, 4 data invalid, 5 model.`,
    )
    .action(
      runAction(async (model: string, _flags: unknown, self: Command) => {
        const raw = givenFlags(self);
        const { data, quiet, ...rest } = raw;
        const options = parseFlags(evaluateOptionsSchema, rest);
        if (options.bySource) {
          if (options.robustness || options.validationOnly)
            throw new UsageError('--by-source: each source is held out in turn; leave out --robustness and --validation-only');
          if ((data as string[]).length !== 1)
            throw new UsageError('--by-source: give one --data (a manifest with images/<source>/ paths)');
          const { formatLeaveOneSourceOut, leaveOneSourceOut } = await import('../training/leave-one-source-out.js');
          const folds = await leaveOneSourceOut({
            model,
            data: (data as string[])[0]!,
            task: options.task,
            batchSize: options.batchSize,
            minImages: options.minSourceImages,
            balanceSources: options.balanceSources,
            options: { seed: options.seed },
            onProgress: progressLine(Boolean(quiet || options.json)),
          });
          process.stdout.write(options.json ? `${JSON.stringify(folds, null, 2)}\n` : `${formatLeaveOneSourceOut(folds)}\n`);
          return;
        }
        const [{ evaluateModel }, { formatEvaluation }] = await Promise.all([
          import('../training/evaluate-model.js'),
          import('../training/report.js'),
        ]);
        const report = await evaluateModel({
          model,
          data: data as string[],
          task: options.task,
          ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
          batchSize: options.batchSize,
          robustness: options.robustness,
          ...(options.validationOnly
            ? { validationOnly: { seed: options.seed, validationFraction: options.validationFraction, split: options.split } }
            : {}),
          onProgress: progressLine(Boolean(quiet || options.json)),
        });
        process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatEvaluation(report)}\n`);
      }),
    );
}
