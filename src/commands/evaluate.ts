/**
 * `rovlens evaluate <model> --data <dir|manifest.csv>`: weighted accuracy, balanced accuracy,
 * macro-F1, per-class recall, confusion matrix, per source; with --robustness the same under
 * resolution, compression, blur, brightness/contrast, hue and ROV-structure perturbations.
 */
import { Option, type Command } from 'commander';
import { evaluateOptionsSchema, parseOptions, SPLITS, TASKS } from '../config/training.js';
import { UsageError } from '../errors.js';
import { evaluateModel } from '../training/evaluate-model.js';
import { formatLeaveOneSourceOut, leaveOneSourceOut } from '../training/leave-one-source-out.js';
import { formatEvaluation } from '../training/report.js';
import { runAction } from './action.js';
import { progressLine } from './train.js';

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('score a model on labelled images: weighted accuracy, per class, per source, robustness')
    .argument('<model>', 'the .onnx model (its card beside it) or the card')
    .requiredOption('--data <dir|csv>', 'a folder per class (<root>/<class>/*.jpg) or a manifest CSV (path, floor, element, group)')
    .addOption(new Option('--task <task>', 'which heads to score').choices([...TASKS]).default('both'))
    .option('--robustness', 'also score under each perturbation and report the drop from clean')
    .option(
      '--validation-only',
      "score only each head's validation part of the split `rovlens train` makes (same --seed, --split, --validation-fraction)",
    )
    .option(
      '--by-source',
      'leave one source out (images/<source>): for each source, a head trained on every other source is scored on it, beside the model\'s own head',
    )
    .option('--min-source-images <n>', 'with --by-source: sources with fewer labelled images get no fold', '30')
    .option('--seed <n>', 'seed of the split, with --validation-only', '1')
    .addOption(new Option('--split <split>', 'split kind, with --validation-only').choices([...SPLITS]).default('auto'))
    .option('--validation-fraction <f>', 'validation share, with --validation-only', '0.2')
    .option('--batch-size <n>', 'images per ONNX Runtime run', '8')
    .option('--json', 'print the report as JSON')
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

Exit codes: 0 ok, 2 usage, 3 data missing, 4 data invalid, 5 model.`,
    )
    .action(
      runAction(async (model: string, raw: Record<string, unknown>) => {
        const { data, quiet, ...rest } = raw;
        const options = parseOptions(evaluateOptionsSchema, rest);
        if (options.bySource) {
          if (options.robustness || options.validationOnly)
            throw new UsageError('--by-source: each source is held out in turn; leave out --robustness and --validation-only');
          const folds = await leaveOneSourceOut({
            model,
            data: String(data),
            task: options.task,
            batchSize: options.batchSize,
            minImages: options.minSourceImages,
            options: { seed: options.seed },
            onProgress: progressLine(Boolean(quiet || options.json)),
          });
          process.stdout.write(options.json ? `${JSON.stringify(folds, null, 2)}\n` : `${formatLeaveOneSourceOut(folds)}\n`);
          return;
        }
        const report = await evaluateModel({
          model,
          data: String(data),
          task: options.task,
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
