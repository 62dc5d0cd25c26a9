/**
 * ONNX Runtime latency of the converted backbones, per frame, next to a baseline network measured in
 * the same run (see `writeBaseline`), with the same outputs (logits, embedding, CAMs). Absolute times
 * drift on a shared machine; the ratio to the baseline drifts less, and the load averages printed
 * before and after say how quiet the machine was.
 *
 *   npm run model:convert            # once: writes models/build/*-backbone.onnx
 *   npm run bench:inference          # options: --sizes 512,224 --batches 1,8 --budget 4 --threads 0
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BACKBONE_IDS } from '../src/config/backbone.js';
import { ELEMENT_LABELS, FLOOR_LABELS } from '../src/model-building/default-labels.js';
import { buildModel, floatTensor, headNodes, node, writeModel } from '../src/model-building/onnx-graph.js';
import { ModelSession } from '../src/model/session.js';

/** Defaults and ranges of the inference benchmark (`npm run bench:inference`). */
export const inferenceBenchSchema = z
  .object({
    modelDir: z.string().min(1).default('models/build').describe('folder holding the converted backbones'),
    sizesPx: z.array(z.number().int().min(32).max(2048)).min(1).default([512, 224]).describe('square input sides to time'),
    batches: z.array(z.number().int().min(1).max(64)).min(1).default([1, 8]).describe('batch sizes to time'),
    minRuns: z.number().int().min(1).max(1000).default(3).describe('timed runs per configuration, at least'),
    budgetSeconds: z.number().gt(0).max(600).default(4).describe('keep timing a configuration until this much time has passed'),
    threads: z.number().int().min(0).max(256).default(0).describe('ONNX Runtime intra-op threads (0: all cores)'),
    targetMsPerFrame: z.number().gt(0).default(150).describe('MobileNetV2 at 512x512, batch 1: the latency to stay under'),
  })
  .strict();
export type InferenceBenchOptions = z.infer<typeof inferenceBenchSchema>;

interface Row {
  model: string;
  sizePx: number;
  batch: number;
  runs: number;
  msPerFrameMedian: number;
  msPerFrameMin: number;
}

/**
 * A fixed two-convolution network (3x3/2 to 32 channels, 1x1 to 128, ReLU, then the same pooling and
 * heads as the backbones): compute-bound like them but a fixed, small amount of work, so the
 * "x baseline" column stays comparable when other processes slow the whole machine down.
 */
function writeBaseline(dir: string): string {
  let seed = 7;
  const random = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * scale);
  const K = 128;
  const floor = headNodes('floor', 'embedding', 'features', K, { weight: random(4 * K, 0.1), bias: new Float32Array(4), classes: 4 });
  const element = headNodes('element', 'embedding', 'features', K, { weight: random(5 * K, 0.1), bias: new Float32Array(5), classes: 5 });
  const model = buildModel({
    name: 'conv-baseline',
    nodes: [
      node('Conv', ['image', 'c1_w', 'c1_b'], ['c1'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'c2_w', 'c2_b'], ['c2'], { kernel_shape: [1, 1] }),
      node('Relu', ['c2'], ['features']),
      node('GlobalAveragePool', ['features'], ['gap']),
      node('Flatten', ['gap'], ['embedding'], { axis: 1 }),
      ...floor.nodes,
      ...element.nodes,
    ],
    initializers: [
      floatTensor('c1_w', [32, 3, 3, 3], random(32 * 27, 0.5)),
      floatTensor('c1_b', [32], random(32, 0.1)),
      floatTensor('c2_w', [K, 32, 1, 1], random(K * 32, 0.3)),
      floatTensor('c2_b', [K], random(K, 0.1)),
      ...floor.initializers,
      ...element.initializers,
    ],
    inputs: [{ name: 'image', dims: ['N', 3, 'H', 'W'] }],
    outputs: [
      { name: 'embedding', dims: ['N', K] },
      { name: 'floor_logits', dims: ['N', 4] },
      { name: 'floor_cam', dims: ['N', 4, 'h', 'w'] },
      { name: 'element_logits', dims: ['N', 5] },
      { name: 'element_cam', dims: ['N', 5, 'h', 'w'] },
    ],
  });
  writeModel(join(dir, 'conv-baseline.onnx'), model);
  const cardPath = join(dir, 'conv-baseline.card.json');
  writeFileSync(
    cardPath,
    JSON.stringify({
      schemaVersion: 1,
      name: 'conv-baseline',
      file: 'conv-baseline.onnx',
      input: { name: 'image', layout: 'NCHW', width: 512, height: 512, channelOrder: 'RGB', scaling: { scale: 1 / 255, offset: 0 } },
      crop: { widthFraction: 1, heightFraction: 1 },
      heads: {
        floor: { logits: 'floor_logits', labels: [...FLOOR_LABELS], cam: 'floor_cam' },
        element: { logits: 'element_logits', labels: [...ELEMENT_LABELS], cam: 'element_cam' },
      },
      embedding: { output: 'embedding', length: K },
    }),
  );
  return cardPath;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function time(label: string, path: string, options: InferenceBenchOptions): Promise<Row[]> {
  const session = await ModelSession.open(path, options.threads ? { intraOpThreads: options.threads } : {});
  // What the pipeline reads: logits, embedding and CAMs where the graph has them.
  const outputs = session.outputNames.filter((n) => n !== 'features');
  const rows: Row[] = [];
  try {
    for (const sizePx of options.sizesPx) {
      for (const batch of options.batches) {
        const input = new Float32Array(batch * 3 * sizePx * sizePx);
        let seed = 1;
        for (let i = 0; i < input.length; i++) input[i] = (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
        const dims: [number, number, number, number] = [batch, 3, sizePx, sizePx];
        await session.run(input, dims, outputs); // warm-up: first run allocates and plans
        const perFrame: number[] = [];
        const started = performance.now();
        while (perFrame.length < options.minRuns || performance.now() - started < options.budgetSeconds * 1000) {
          const t = performance.now();
          await session.run(input, dims, outputs);
          perFrame.push((performance.now() - t) / batch);
        }
        rows.push({
          model: label,
          sizePx,
          batch,
          runs: perFrame.length,
          msPerFrameMedian: median(perFrame),
          msPerFrameMin: Math.min(...perFrame),
        });
        process.stderr.write(`  ${label} ${sizePx}x${sizePx} batch ${batch}: ${median(perFrame).toFixed(1)} ms/frame\n`);
      }
    }
  } finally {
    await session.close();
  }
  return rows;
}

function parseOptions(argv: string[]): InferenceBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string' },
      batches: { type: 'string' },
      budget: { type: 'string' },
      threads: { type: 'string' },
      'model-dir': { type: 'string' },
    },
    strict: true,
  });
  const list = (v: string | undefined) => v?.split(',').map(Number);
  return inferenceBenchSchema.parse({
    ...(values.sizes ? { sizesPx: list(values.sizes) } : {}),
    ...(values.batches ? { batches: list(values.batches) } : {}),
    ...(values.budget ? { budgetSeconds: Number(values.budget) } : {}),
    ...(values.threads ? { threads: Number(values.threads) } : {}),
    ...(values['model-dir'] ? { modelDir: values['model-dir'] } : {}),
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const backbones = BACKBONE_IDS.map((id) => ({ id, path: join(options.modelDir, `${id}-backbone.card.json`) }));
  const missing = backbones.filter((b) => !existsSync(b.path));
  if (missing.length) {
    process.stderr.write(`bench:inference: ${missing.map((b) => b.path).join(', ')} not found; run \`npm run model:convert\` first\n`);
    process.exitCode = 3;
    return;
  }
  const loadBefore = loadavg();
  process.stderr.write(
    `timing on ${cpus().length} CPU cores (${cpus()[0]?.model ?? 'unknown CPU'}), threads ${options.threads || 'all'}\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-bench-'));
  const rows: Row[] = [];
  try {
    rows.push(...(await time('conv-baseline', writeBaseline(dir), options)));
    for (const b of backbones) rows.push(...(await time(b.id, b.path, options)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  const baseline = new Map(rows.filter((r) => r.model === 'conv-baseline').map((r) => [`${r.sizePx}/${r.batch}`, r.msPerFrameMedian]));

  const header = ['model', 'input', 'batch', 'runs', 'ms/frame median', 'ms/frame min', 'frames/s', 'x baseline'];
  const ms = (v: number) => v.toFixed(v < 10 ? 2 : 1);
  const table = rows.map((r) => [
    r.model,
    `${r.sizePx}x${r.sizePx}`,
    String(r.batch),
    String(r.runs),
    ms(r.msPerFrameMedian),
    ms(r.msPerFrameMin),
    (1000 / r.msPerFrameMedian).toFixed(1),
    (r.msPerFrameMedian / (baseline.get(`${r.sizePx}/${r.batch}`) ?? NaN)).toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const out = [
    line(header),
    `|${widths.map((w, i) => (i < 2 ? ':' : '-') + '-'.repeat(w) + (i < 2 ? '-' : ':')).join('|')}|`,
    ...table.map(line),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  process.stdout.write(
    `load average (1 min) before ${loadBefore[0]!.toFixed(2)}, after ${loadAfter[0]!.toFixed(2)} on ${cpus().length} cores\n`,
  );

  const target = rows.find((r) => r.model === 'mobilenet_v2' && r.sizePx === 512 && r.batch === 1);
  if (target) {
    const ok = target.msPerFrameMedian <= options.targetMsPerFrame;
    process.stdout.write(
      `mobilenet_v2 at 512x512, batch 1: ${target.msPerFrameMedian.toFixed(1)} ms/frame, target <= ${options.targetMsPerFrame}: ${ok ? 'met' : 'NOT met'}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:inference: ${(error as Error).message.split('\n')[0]}\n`);
  process.exitCode = 1;
});
