/**
 * `rovlens train --data <dir|manifest.csv> -o <out.onnx>`: trains the floor and/or element heads on
 * a frozen backbone (embeddings from ONNX Runtime, a class-weighted softmax head in TypeScript) and
 * writes a new model with its card. Thin: parse, validate, call src/training, report.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { OutputError, UsageError } from '../errors.js';
import { describeOption, parseOptions, SPLITS, TASKS, trainingOptionsSchema } from '../config/training.js';
import { DEFAULT_MODEL, PACKAGE_ROOT } from '../paths.js';
import { formatTraining } from '../training/report.js';
import { trainHeads } from '../training/train-heads.js';
import { runAction } from './action.js';

const d = (key: string) => describeOption(trainingOptionsSchema, key);
const defaults = trainingOptionsSchema.parse({});

/** The bundled default model, or the rebuilt MobileNetV2 backbone when the default is absent. */
export function defaultBaseModel(): string {
  const backbone = resolve(PACKAGE_ROOT, 'models', 'build', 'mobilenet_v2-backbone.onnx');
  return existsSync(DEFAULT_MODEL) || !existsSync(backbone) ? DEFAULT_MODEL : backbone;
}

export function register(program: Command): void {
  program
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
    )
    .addOption(new Option('--task <task>', d('task')).choices([...TASKS]).default(defaults.task))
    .addOption(new Option('--split <split>', d('split')).choices([...SPLITS]).default(defaults.split))
    .option('--seed <n>', `${d('seed')} (default ${defaults.seed})`)
    .option('--validation-fraction <f>', `${d('validationFraction')} (default ${defaults.validationFraction})`)
    .option('--views <n>', `${d('views')} (default ${defaults.views})`)
    .option('--input-size-px <px>', d('inputSizePx'))
    .option('--epochs <n>', `${d('epochs')} (default ${defaults.epochs})`)
    .option('--learning-rate <r>', `${d('learningRate')} (default ${defaults.learningRate})`)
    .option('--l2 <x>', `${d('l2')} (default ${defaults.l2})`)
    .addOption(new Option('--penalty <kind>', d('penalty')).choices(['standardised', 'raw']).default(defaults.penalty))
    .option('--sd-floor-fraction <f>', `${d('sdFloorFraction')} (default ${defaults.sdFloorFraction})`)
    .option('--no-class-weights', 'train without class weights')
    .option('--batch-size <n>', `${d('batchSize')} (default ${defaults.batchSize})`)
    .option('--uncertain-below <p>', d('uncertainBelow'))
    .option('--uncertain-fraction <f>', `${d('uncertainFraction')} (default ${defaults.uncertainFraction})`)
    .option('--cache-dir <dir>', d('cacheDir'))
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
      runAction(async (raw: Record<string, unknown>) => {
        if (!raw.output) throw new UsageError('-o, --output <model.onnx> is required: where to write the trained model');
        const output = resolve(String(raw.output));
        if (!output.endsWith('.onnx')) throw new UsageError(`-o must name an .onnx file, got ${String(raw.output)}`);
        if (!existsSync(dirname(output))) throw new OutputError(`cannot write ${raw.output}: folder ${dirname(output)} does not exist`);
        const { data, model, output: _o, json, quiet, ...rest } = raw;
        const options = parseOptions(trainingOptionsSchema, rest);
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
