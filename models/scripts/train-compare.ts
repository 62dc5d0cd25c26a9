/**
 * Backbone and input-size comparison for the default model: for each (backbone, input side) the
 * heads are trained without augmentation on the same group split, and the model's speed is timed
 * in the same run (ONNX Runtime, one frame per run, median of several runs after a warm-up).
 *
 *   npm run model:compare                     # mobilenet_v2 at 224 and 512, inception_v3 at 224 (512 timed only)
 *   npm run model:compare -- --configs mobilenet_v2@224,inception_v3@512
 *
 * Prints a table and writes models/build/compare.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RovlensError } from '../../src/errors.js';
import { ModelSession } from '../../src/model/session.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { table } from '../../src/training/report.js';
import { trainHeads } from '../../src/training/train-heads.js';

async function msPerFrame(modelPath: string, sizePx: number, runs = 7): Promise<number> {
  const model = await ModelSession.open(modelPath);
  try {
    const input = new Float32Array(3 * sizePx * sizePx).map((_, i) => Math.sin(i) * 0.5);
    const output = model.card.embedding!.output;
    await model.run(input, [1, 3, sizePx, sizePx], [output]);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      await model.run(input, [1, 3, sizePx, sizePx], [output]);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  } finally {
    await model.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      configs: { type: 'string', default: 'mobilenet_v2@224,mobilenet_v2@512,inception_v3@224,inception_v3@512:time' },
      data: { type: 'string' },
      seed: { type: 'string', default: '1' },
    },
  });
  const data = values.data ?? join(process.env.ROVLENS_DATA ?? resolve(PACKAGE_ROOT, '../shared/data'), 'manifest.csv');
  if (!existsSync(data)) throw new RovlensError(`no labelled data at ${data}: pass --data`, 3);
  const outDir = resolve(PACKAGE_ROOT, 'models', 'build', 'compare');
  mkdirSync(outDir, { recursive: true });
  const rows: Record<string, unknown>[] = [];
  for (const config of values.configs!.split(',')) {
    // `<backbone>@<side>`, or `<backbone>@<side>:time` to time the model without training.
    const [spec, mode] = config.split(':') as [string, string | undefined];
    const [backbone, size] = spec.split('@') as [string, string];
    const sizePx = Number(size);
    const modelPath = resolve(PACKAGE_ROOT, 'models', 'build', `${backbone}-backbone.onnx`);
    if (!existsSync(modelPath)) throw new RovlensError(`no backbone ${backbone}: run \`npm run model:convert\` first`, 5);
    const ms = await msPerFrame(modelPath, sizePx);
    if (mode === 'time') {
      rows.push({ backbone, inputSizePx: sizePx, msPerFrame: Number(ms.toFixed(1)) });
      process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
      continue;
    }
    const report = await trainHeads({
      model: modelPath,
      data,
      output: join(outDir, `${backbone}-${sizePx}.onnx`),
      options: { inputSizePx: sizePx, views: 0, seed: Number(values.seed) },
      onProgress: (stage, done, total) => {
        if (done === total) process.stderr.write(`${config}: ${stage} ${done}/${total}\n`);
      },
    });
    const row: Record<string, unknown> = {
      backbone,
      inputSizePx: sizePx,
      msPerFrame: Number(ms.toFixed(1)),
      embedSecondsAllImages: Number(report.embedSeconds.toFixed(1)),
    };
    for (const h of report.heads) {
      row[`${h.head}WeightedAccuracy`] = Number(h.validation.overall.weightedAccuracy.toFixed(3));
      row[`${h.head}Accuracy`] = Number(h.validation.overall.accuracy.toFixed(3));
      row[`${h.head}ValidationImages`] = h.validationImages;
    }
    rows.push(row);
    process.stderr.write(`${JSON.stringify(row)}\n`);
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  process.stdout.write(
    `${table(
      columns,
      rows.map((r) => columns.map((c) => String(r[c] ?? '-'))),
    )}\n`,
  );
  writeFileSync(
    join(PACKAGE_ROOT, 'models', 'build', 'compare.json'),
    `${JSON.stringify({ note: 'validation (group split, no augmentation), speed: 1 frame per run, median of 7, 2 shared CPU cores', rows }, null, 2)}\n`,
  );
}

try {
  await main();
} catch (error) {
  process.stderr.write(`model:compare: ${(error as Error).message.split('\n')[0]}\n`);
  process.exitCode = error instanceof RovlensError ? error.exitCode : 1;
}
