/**
 * `rovlens train --data <dir|manifest.csv> -o <out.onnx>`: trains the floor and/or element heads on
 * a frozen backbone (embeddings from ONNX Runtime, a class-weighted softmax head in TypeScript) and
 * writes a new model with its card. Thin: parse, validate, call src/training, report.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { OutputError, UsageError } from '../errors.js';
import { parseFlags } from '../config/flags.js';
import { trainingOptionsSchema } from '../config/training.js';
import { DEFAULT_MODEL, PACKAGE_ROOT } from '../paths.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** The bundled default model, or the rebuilt MobileNetV2 backbone when the default is absent. */
export function defaultBaseModel(): string {
  const backbone = resolve(PACKAGE_ROOT, 'models', 'build', 'mobilenet_v2-backbone.onnx');
  return existsSync(DEFAULT_MODEL) || !existsSync(backbone) ? DEFAULT_MODEL : backbone;
}

/** Each training option's flag; its help, default, choices and check come from trainingOptionsSchema. */
const FLAGS: FlagTable<typeof trainingOptionsSchema> = {
  task: '--task <task>',
  split: '--split <split>',
  seed: '--seed <n>',
  validationFraction: '--validation-fraction <f>',
  views: '--views <n>',
  inputSizePx: '--input-size-px <px>',
  epochs: '--epochs <n>',
  learningRate: '--learning-rate <r>',
  l2: '--l2 <x>',
  penalty: '--penalty <kind>',
  sdFloorFraction: '--sd-floor-fraction <f>',
  classWeights: { flag: '--no-class-weights', help: 'train without class weights' },
  batchSize: '--batch-size <n>',
  uncertainBelow: '--uncertain-below <p>',
  uncertainFraction: '--uncertain-fraction <f>',
  cacheDir: '--cache-dir <dir>',
};

export function register(program: Command): void {
  const command = program
    .command('train')
    .description('train the floor/element heads on labelled images and write a new model + card')
    .requiredOption(
      '--data <dir|csv|json>',
      'labelled data, repeatable: a folder per class (<root>/<class>/*.jpg), a manifest CSV (path, floor, element, group), a labels CSV from rovlens review, a VIAME CSV or a COCO JSON',
      collect,
      [],
    )
    .option('-o, --output <model.onnx>', 'the model to write (its card is written beside it as <name>.card.json)')
    .option(
      '--model <path>',
      'base model whose backbone is used (default: the bundled model, else models/build/mobilenet_v2-backbone.onnx)',
    );
  addSchemaOptions(command, trainingOptionsSchema, FLAGS)
    .option('--json', 'print the training report as JSON')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  rovlens train --data ../data/manifest.csv -o my-model.onnx
  rovlens train --data ../data/manifest.csv --data dive42.labels.csv -o site.onnx
  rovlens train --data photos/ --task element --model models/rovlens-default.onnx -o element.onnx --views 5

Exit codes: 0 ok, 2 usage, 3 data missing, 4 data invalid, 5 model, 6 output.`,
    )
    .action(
      runAction(async (_flags: unknown, self: Command) => {
        const raw = givenFlags(self);
        if (!raw.output) throw new UsageError('-o, --output <model.onnx> is required: where to write the trained model');
        const output = resolve(String(raw.output));
        if (!output.endsWith('.onnx')) throw new UsageError(`-o must name an .onnx file, got ${String(raw.output)}`);
        if (!existsSync(dirname(output))) throw new OutputError(`cannot write ${raw.output}: folder ${dirname(output)} does not exist`);
        const { data, model, output: _o, json, quiet, ...rest } = raw;
        const options = parseFlags(trainingOptionsSchema, rest);
        const [{ trainHeads }, { formatTraining }] = await Promise.all([
          import('../training/train-heads.js'),
          import('../training/report.js'),
        ]);
        const report = await trainHeads({
          model: String(model ?? defaultBaseModel()),
          data: data as string[],
          output,
          options,
          onProgress: progressLine(Boolean(quiet || json)),
        });
        process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTraining(report)}\n`);
      }),
    );
}

/** Commander's accumulator for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** One self-overwriting line on a TTY (stderr): `embedding 120/4400 images`; nothing when piped. */
export function progressLine(quiet: boolean): (stage: string, done: number, total: number) => void {
  if (quiet || !process.stderr.isTTY) return () => {};
  return (stage, done, total) => {
    process.stderr.write(`\r${stage} ${done}/${total} images`);
    if (done === total) process.stderr.write('\n');
  };
}
