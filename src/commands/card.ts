/**
 * `rovlens card <model.onnx> --head <name>=<labels> --scaling <kind>`: writes the model card that lets
 * a classifier made elsewhere run through rovlens (timeline, annotate, live, evaluate), checks it by
 * running the model once, and says how each head's heatmap will be made. Thin: parse, make-card, write.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { cropSchema } from '../config/timeline.js';
import { InputError, ModelError, OutputError, UsageError } from '../errors.js';
import { loadModelCard } from '../model/card.js';
import { heatmapReliability, reliabilityLine } from '../model/heatmap-reliability.js';
import { makeCard, SCALINGS, type ScalingName } from '../model-building/make-card.js';
import { encodeModel, readModel } from '../model-building/onnx-graph.js';
import { ModelSession } from '../model/session.js';
import { numberOption, runAction } from './action.js';

interface CardFlags {
  head?: string[];
  logits: string[];
  embedding?: string;
  scaling?: ScalingName;
  channelOrder?: 'RGB' | 'BGR';
  inputSize?: number;
  crop?: string;
  force?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** 'name=a,b,c' -> ['name', ['a','b','c']], refusing what cannot be a head. */
function pair(flag: string, text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new UsageError(`${flag} must be <head>=<value>, got '${text}'`);
  return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
}

export function register(program: Command): void {
  program
    .command('card')
    .description(
      "write the model card for an ONNX classifier made elsewhere, so rovlens can run it; without --head, show a model's card and whether its heatmap beats the centre",
    )
    .argument('<model>', 'the .onnx classifier (or, to show it, a model with its card, or the card)')
    .option('--head <name=labels>', 'a head and its labels in output order, e.g. element=fauna,algae,waste (repeatable)', collect)
    .option('--logits <name=output>', 'which graph output is that head, when the class count does not say (repeatable)', collect, [])
    .option('--embedding <output>', 'the output with pooled features, for group and clusters (default: the one 2-D output no head takes)')
    .addOption(
      new Option(
        '--scaling <kind>',
        'how pixels were scaled in training: unit (0..1), symmetric (-1..1), imagenet (mean/std), caffe (BGR, means subtracted)',
      )
        .choices(Object.keys(SCALINGS)),
    )
    .addOption(
      new Option('--channel-order <order>', 'channel order the model expects (default RGB; BGR for caffe)').choices(['RGB', 'BGR']),
    )
    .option(
      '--input-size <px>',
      'input side, when the graph leaves it dynamic',
      numberOption('--input-size', { min: 16, max: 4096, integer: true }),
    )
    .option('--crop <wxh>', 'relative centre crop written as the default, e.g. 0.67x1 (default: the whole picture)')
    .option('--force', 'replace a card (and adapted model) that exists')
    .addHelpText(
      'after',
      `
The card goes beside the model as <name>.card.json. A model whose input is NHWC (Keras through tf2onnx)
is written again as <name>.nchw.onnx with a Transpose in front, and its card beside that.

Examples:
  rovlens card models/rovlens-default.onnx     # show the card: heads, crop, and how far to trust the heatmap
  rovlens card resnet.onnx --head element=ripples,fauna,algae,waste,rocks --scaling imagenet
  rovlens card keras.onnx --head floor=sandy,muddy,reef --scaling symmetric --crop 0.67x1
  rovlens annotate dive.mp4 --model resnet.onnx -o annotated/

Exit codes: 0 ok, 2 usage, 3 model file missing, 5 model (the message names what), 6 output exists or cannot be written.`,
    )
    .action(runAction(async (model: string, flags: CardFlags) => runCard(model, flags)));
}

export async function runCard(modelPath: string, flags: CardFlags): Promise<void> {
  if (!existsSync(modelPath)) throw new InputError(`model not found: ${modelPath}`, 'missing');
  if (!flags.head?.length) {
    if (flags.scaling) throw new UsageError('--head: writing a card needs each head and its labels, e.g. --head element=fauna,algae');
    return showCard(modelPath);
  }
  if (!flags.scaling) throw new UsageError("--scaling: writing a card needs how pixels were scaled in training (unit, symmetric, imagenet or caffe)");
  const heads = Object.fromEntries(
    flags.head.map((text) => {
      const [name, labels] = pair('--head', text);
      const list = labels.split(',').map((l) => l.trim());
      if (list.length < 2 || list.some((l) => !l)) throw new UsageError(`--head ${name} needs at least two labels, comma-separated`);
      return [name, list];
    }),
  );
  const logits = Object.fromEntries(flags.logits.map((text) => pair('--logits', text)));
  const crop = flags.crop === undefined ? undefined : cropSchema.safeParse(flags.crop);
  if (crop && !crop.success) throw new UsageError(`--crop: ${crop.error.issues[0]!.message}`);

  const graph = readModel(modelPath);
  const made = makeCard(graph, {
    heads,
    logits,
    scaling: flags.scaling,
    ...(flags.embedding ? { embedding: flags.embedding } : {}),
    ...(flags.channelOrder ? { channelOrder: flags.channelOrder } : {}),
    ...(flags.inputSize !== undefined ? { inputSize: flags.inputSize } : {}),
    ...(crop?.success ? { crop: crop.data } : {}),
    modelFile: basename(modelPath),
  });
  // An adapted graph is a new file beside the original, which stays as it was.
  const stem = basename(modelPath).replace(/\.onnx$/i, '');
  const onnxPath = made.transposedInput ? join(dirname(modelPath), `${stem}.nchw.onnx`) : modelPath;
  const card = { ...made.card, name: basename(onnxPath).replace(/\.onnx$/i, ''), file: basename(onnxPath) };
  const cardPath = onnxPath.replace(/\.onnx$/i, '') + '.card.json';
  for (const path of made.transposedInput ? [onnxPath, cardPath] : [cardPath]) {
    if (existsSync(path) && !flags.force) throw new OutputError(`${path} exists (--force replaces it)`);
  }
  const write = (path: string, data: string | Uint8Array) => {
    try {
      writeFileSync(path, data);
    } catch (error) {
      throw new OutputError(`cannot write ${path}: ${(error as Error).message}`);
    }
  };
  // Written under temporary names and checked first: a card that fails the check is not left
  // behind, and one that existed (with --force) stays until the new one has passed.
  const tag = `.tmp-${process.pid}`;
  const trialModel = made.transposedInput ? onnxPath.replace(/\.onnx$/i, `${tag}.onnx`) : onnxPath;
  const trialCard = cardPath.replace(/\.card\.json$/, `${tag}.card.json`);
  if (made.transposedInput) write(trialModel, encodeModel(graph));
  write(trialCard, JSON.stringify({ ...card, file: basename(trialModel) }));

  // One grey picture through ONNX Runtime, which also measures the embedding's length.
  try {
    const session = await ModelSession.open(trialCard, { notice: () => undefined });
    try {
      const { width, height } = card.input;
      const wanted = [...Object.values(card.heads).map((h) => h.logits), ...(card.embedding ? [card.embedding.output] : [])];
      const out = await session.run(new Float32Array(3 * width * height).fill(0.5), [1, 3, height, width], wanted);
      for (const [head, spec] of Object.entries(card.heads)) {
        const got = out[spec.logits]!.data.length;
        if (got !== spec.labels.length)
          throw new ModelError(
            `output '${spec.logits}' gives ${got} values per image, but head '${head}' has ${spec.labels.length} labels`,
          );
      }
      if (card.embedding) card.embedding.length = out[card.embedding.output]!.data.length;
    } finally {
      await session.close();
    }
  } catch (error) {
    rmSync(trialCard, { force: true });
    if (made.transposedInput) rmSync(trialModel, { force: true });
    throw error;
  }
  if (made.transposedInput) renameSync(trialModel, onnxPath);
  write(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  rmSync(trialCard, { force: true });
  const lines = [
    `rovlens: wrote ${cardPath}${made.transposedInput ? ` and ${onnxPath} (NHWC input: a Transpose from NCHW in front)` : ''}`,
    `  input '${card.input.name}' ${card.input.width}x${card.input.height} ${card.input.channelOrder}, scaling ${flags.scaling}; checked with one picture through ONNX Runtime`,
    card.embedding
      ? `  embedding '${card.embedding.output}', ${card.embedding.length} values (group, clusters)`
      : '  no embedding output (group falls back to hashes; clusters needs one: --embedding <output>)',
    ...made.heatmaps.map(
      (m) =>
        `  head ${m.head}: logits '${card.heads[m.head]!.logits}', ${card.heads[m.head]!.labels.length} labels; heatmap by ${m.method} (${m.why})`,
    ),
    '  heatmap pointing game: not measured (bench/localisation.ts measures it on boxed images; without it the heatmap is shown)',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** `rovlens card <model>` without --head: what the card says, on stdout. */
function showCard(path: string): void {
  const { card, cardPath } = loadModelCard(path);
  const reliability = heatmapReliability(card);
  const crop = `${card.crop.widthFraction}x${card.crop.heightFraction}`;
  const lines = [
    `${card.name}: ${cardPath}`,
    `  input '${card.input.name}' ${card.input.width}x${card.input.height} ${card.input.channelOrder}, centre crop ${crop}`,
    ...Object.entries(card.heads).map(
      ([name, head]) => `  head ${name}: ${head.labels.join(', ')}${head.cam ? ` (CAM output '${head.cam}')` : ''}`,
    ),
    reliability
      ? `  ${reliabilityLine(reliability)}${reliability.reliable ? '' : ': off by default in annotate and live (--heatmap shows it)'}`
      : '  element heatmap: pointing game not measured (bench/localisation.ts measures it on boxed images)',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
