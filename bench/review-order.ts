/**
 * Does the review order put the model's mistakes first? On the development images (their own groups
 * and labels as the truth), per source: how many frames the model gets wrong inside the first k groups
 * of the review queue (src/review/order.ts, with each group's mean embedding as rovlens review gives it), against k groups in random order (mean of many shuffles,
 * the baseline, computed in the same run) and against the most any k groups hold (an oracle that
 * knows the truth). A reviewer fixes exactly those frames, so more is better.
 *
 *   npx tsx bench/review-order.ts [--model models/rovlens-default.onnx] [--data <shared data folder>]
 *                                 [--k 5,10,20,40] [--shuffles 200] [--head element]
 *
 * Prints one table per head: per source (and all sources together) the groups, the frames the model
 * gets wrong in all of them, and the wrong frames in the first k groups of each order. The review
 * order spreads its first groups over sources and predicted labels, so in the "all" row it also takes
 * groups from sources the model is sure (and mostly right) about: fewer mistakes in the first 10 than
 * uncertainty alone would find there, in exchange for a start that is not one camera's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lastValueFrom, toArray } from 'rxjs';
import { ModelSession } from '../src/model/session.js';
import { infer } from '../src/operators/infer.js';
import { parseCsvRecords } from '../src/review/manifest.js';
import { EmbeddingMean, reviewOrder, type ReviewGroup } from '../src/review/order.js';
import { readImages } from '../src/sources/images.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: resolve(import.meta.dirname, '../models/rovlens-default.onnx') },
    data: { type: 'string', default: process.env.ROVLENS_DATA ?? resolve(import.meta.dirname, '../../shared/data') },
    k: { type: 'string', default: '5,10,20,40' },
    shuffles: { type: 'string', default: '200' },
    head: { type: 'string', default: 'element,floor' },
    batch: { type: 'string', default: '8' },
  },
});
const manifestPath = join(args.data!, 'manifest.csv');
if (!existsSync(manifestPath)) {
  console.error(`bench/review-order: development data not found (${manifestPath}); pass --data or set ROVLENS_DATA`);
  process.exit(3);
}
const ks = args.k!.split(',').map(Number);
const shuffles = Number(args.shuffles);
const heads = args.head!.split(',');

const { records } = parseCsvRecords(readFileSync(manifestPath, 'utf8'));
const header = records[0]!.fields;
const col = (name: string) => header.indexOf(name);
const images = records.slice(1).map(({ fields }) => ({
  path: join(args.data!, fields[col('path')]!),
  source: fields[col('path')]!.split('/')[1]!,
  group: fields[col('group')]!,
  truth: { floor: fields[col('floor')]!, element: fields[col('element')]! } as Record<string, string>,
}));

const model = await ModelSession.open(args.model!, { notice: () => undefined });
const size = { width: model.card.input.width, height: model.card.input.height };
const started = performance.now();
const results = await lastValueFrom(
  readImages(
    images.map((i) => i.path),
    { crop: model.card.crop, outputSize: size },
  ).pipe(infer(model, { batchSize: Number(args.batch), cams: false }), toArray()),
);
await model.close();
console.log(`${results.length} images classified in ${((performance.now() - started) / 1000).toFixed(1)} s (${args.model})`);

const predictions = results.map((r) =>
  Object.fromEntries(
    Object.entries(r.heads).map(([h, p]) => [h, { label: p.labels[p.topIndex]!, confidence: p.probabilities[p.topIndex]! }]),
  ),
);

/** Seeded shuffle (mulberry32), so a run is repeatable. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

for (const head of heads) {
  const labels = model.card.heads[head]?.labels ?? [];
  // Images whose true label the head can say (not none / unsure), grouped by the data's own groups.
  const usable = images.map((image, i) => ({ ...image, i })).filter((image) => labels.includes(image.truth[head]!));
  const sources = [...new Set(usable.map((u) => u.source))].sort();
  const rows: string[][] = [];
  for (const source of [...sources, 'all']) {
    const members = usable.filter((u) => source === 'all' || u.source === source);
    const byGroup = new Map<string, typeof members>();
    for (const m of members) byGroup.set(m.group, [...(byGroup.get(m.group) ?? []), m]);
    if (byGroup.size < 10) continue;
    const wrongIn = new Map<string, number>();
    const groups: ReviewGroup[] = [...byGroup.entries()].map(([group, frames]) => {
      wrongIn.set(group, frames.filter((f) => predictions[f.i]![head]!.label !== f.truth[head]).length);
      // The group's mean embedding, as rovlens review gives the order (representativeness).
      const embedding = new EmbeddingMean();
      for (const f of frames) if (results[f.i]!.embedding) embedding.add(results[f.i]!.embedding!);
      const mean = embedding.value();
      return {
        group,
        frames: frames.map((f) => ({ source: f.path, predictions: predictions[f.i]! })),
        ...(mean ? { embedding: mean } : {}),
      };
    });
    const wrongTotal = [...wrongIn.values()].reduce((a, b) => a + b, 0);
    const found = (order: readonly string[], k: number) => order.slice(0, k).reduce((n, g) => n + wrongIn.get(g)!, 0);
    const queued = reviewOrder(groups).map((i) => i.group);
    const oracle = [...wrongIn.entries()].sort((a, b) => b[1] - a[1]).map(([g]) => g);
    const ids = groups.map((g) => g.group);
    const random = ks.map((k) => {
      let sum = 0;
      for (let s = 1; s <= shuffles; s++) sum += found(shuffled(ids, s), k);
      return sum / shuffles;
    });
    rows.push([
      source,
      String(byGroup.size),
      String(members.length),
      String(wrongTotal),
      ...ks.map((k, j) => `${found(queued, k)} / ${random[j]!.toFixed(1)} / ${found(oracle, k)}`),
    ]);
  }
  console.log(`\n${head}: wrong frames in the first k groups (review order / random, mean of ${shuffles} / the most any k groups hold)`);
  console.log(`| source | groups | frames | wrong frames in all | ${ks.map((k) => `k = ${k}`).join(' | ')} |`);
  console.log(`|---|---|---|---|${ks.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}
