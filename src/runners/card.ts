/**
 * One `rovlens card` run: the card made from the graph and the flags, written under temporary names,
 * checked by running one picture through ONNX Runtime, then put in place; a summary of what was found.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CardOptions } from '../config/card.js';
import { InputError, ModelError, OutputError, UsageError } from '../errors.js';
import { makeCard } from '../model-building/make-card.js';
import { encodeModel, readModel } from '../model-building/onnx-graph.js';
import { loadModelCard } from '../model/card.js';
import { heatmapReliability, reliabilityLine } from '../model/heatmap-reliability.js';
import { ModelSession } from '../model/session.js';

/** 'name=a,b,c' -> ['name', ['a','b','c']], refusing what cannot be a head. */
function pair(flag: string, text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new UsageError(`${flag} must be <head>=<value>, got '${text}'`);
  return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
}

export async function runCard(modelPath: string, flags: CardOptions): Promise<void> {
  if (!existsSync(modelPath)) throw new InputError(`model not found: ${modelPath}`, 'missing');
  if (!flags.head?.length) {
    if (flags.scaling) throw new UsageError('--head: writing a card needs each head and its labels, e.g. --head element=fauna,algae');
    return showCard(modelPath);
  }
  if (!flags.scaling) throw new UsageError('--scaling: writing a card needs how pixels were scaled in training (unit, symmetric, imagenet or caffe)');
  const scaling = flags.scaling;
  const heads = Object.fromEntries(
    flags.head.map((text) => {
      const [name, labels] = pair('--head', text);
      const list = labels.split(',').map((l) => l.trim());
      if (list.length < 2 || list.some((l) => !l)) throw new UsageError(`--head ${name} needs at least two labels, comma-separated`);
      return [name, list];
    }),
  );
  const logits = Object.fromEntries(flags.logits.map((text) => pair('--logits', text)));

  const graph = readModel(modelPath);
  const made = makeCard(graph, {
    heads,
    logits,
    scaling,
    ...(flags.embedding ? { embedding: flags.embedding } : {}),
    ...(flags.channelOrder ? { channelOrder: flags.channelOrder } : {}),
    ...(flags.inputSize !== undefined ? { inputSize: flags.inputSize } : {}),
    ...(flags.crop ? { crop: flags.crop } : {}),
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
