/**
 * Near-duplicate grouping: quality against truth and cost per frame, on a clip made from distinct
 * real images (development data) held with pans, zoom, noise, brightness drift and re-encoding,
 * interleaved and revisited (see bench/eval-clip.ts).
 *
 *   npx tsx bench/grouping.ts [--images 60] [--revisits 20] [--hold 4] [--every 0.5] [--size 128]
 *                             [--model models/rovlens-default.onnx] [--data <shared data folder>]
 *
 * Prints: pairwise precision/recall and group counts across thresholds (consecutive groups vs holds,
 * groups with revisits merged vs images), the time of hashing + grouping per frame next to ffmpeg
 * decoding the same frames (the baseline, measured in the same run), linearity in frames, and the
 * memory of the revisit index per hour of video.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lastValueFrom, toArray } from 'rxjs';
import { defaultGrouping, defaultRevisit, defaultSkip } from '../src/config/grouping.js';
import { ModelSession } from '../src/model/session.js';
import { predictBatch } from '../src/model/predict.js';
import { ConsecutiveGrouper } from '../src/similarity/consecutive-grouper.js';
import { dHash, hashDistance, pHash } from '../src/similarity/hash.js';
import { pairwiseScores } from '../src/similarity/pairwise.js';
import { SceneIndex, sceneSignature } from '../src/similarity/scene-index.js';
import { decodeVideo } from '../src/sources/ffmpeg.js';
import type { Frame } from '../src/types.js';
import { writeEvalClip } from './eval-clip.js';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '60' },
    revisits: { type: 'string', default: '20' },
    hold: { type: 'string', default: '4' },
    fps: { type: 'string', default: '5' },
    every: { type: 'string', default: '0.5' },
    size: { type: 'string', default: '128' },
    seed: { type: 'string', default: '3' },
    hash: { type: 'string', default: 'both' },
    model: { type: 'string' },
    data: { type: 'string', default: resolve(import.meta.dirname, '../../shared/data') },
  },
});

interface Item {
  hash: bigint;
  embedding?: Float32Array;
  hold: number;
  image: string;
}

function group(
  items: Item[],
  o: {
    hashBits: number;
    minCosine: number;
    revisitHashBits: number;
    revisitMinCosine: number;
    confirmFrames: number;
    useEmbeddings: boolean;
  },
) {
  const grouper = new ConsecutiveGrouper<number>({
    ...defaultGrouping,
    hashBits: o.hashBits,
    minCosine: o.minCosine,
    confirmFrames: o.confirmFrames,
  });
  const segment = new Int32Array(items.length);
  const assign = (as: { item: number; groupId: number }[]) => as.forEach((a) => (segment[a.item] = a.groupId));
  items.forEach((it, i) =>
    assign(grouper.push({ hash: it.hash, ...(o.useEmbeddings && it.embedding ? { embedding: it.embedding } : {}), item: i })),
  );
  assign(grouper.flush());
  // Revisits: each run's signature against the index, in order.
  const index = new SceneIndex({ hashBits: o.revisitHashBits, minCosine: o.revisitMinCosine });
  const scene = new Int32Array(items.length);
  for (let start = 0; start < items.length;) {
    let end = start;
    while (end < items.length && segment[end] === segment[start]) end++;
    const members = items
      .slice(start, end)
      .map((it) => ({ hash: it.hash, ...(o.useEmbeddings && it.embedding ? { embedding: it.embedding } : {}) }));
    const { sceneId } = index.assign(sceneSignature(members));
    scene.fill(sceneId, start, end);
    start = end;
  }
  return { segment, scene, scenes: index.size };
}

/** Pairwise precision, recall and group counts of the holds (segments) and the images (revisits): one table row's cells. */
function scoreCells(r: ReturnType<typeof group>, truthHold: ArrayLike<number | string>, truthImage: ArrayLike<number | string>): string[] {
  const c = pairwiseScores(r.segment, truthHold);
  const s = pairwiseScores(r.scene, truthImage);
  return [
    fmt(c.precision),
    fmt(c.recall),
    `${c.predictedGroups}/${c.truthGroups}`,
    fmt(s.precision),
    fmt(s.recall),
    `${s.predictedGroups}/${s.truthGroups}`,
  ];
}

function qualityTables(method: string, items: Item[], base: Parameters<typeof group>[1]) {
  const truthHold = items.map((i) => i.hold);
  const truthImage = items.map((i) => i.image);
  const rows: (string | number)[][] = [];
  for (const hashBits of [6, 8, 10, 12, 14, 16, 18, 20]) {
    for (const confirmFrames of [1, 2]) {
      rows.push([hashBits, confirmFrames, ...scoreCells(group(items, { ...base, hashBits, confirmFrames }), truthHold, truthImage)]);
    }
  }
  console.log(
    `${method}, hash only, revisitHashBits ${base.revisitHashBits} (defaults: hashBits ${defaultGrouping.hashBits}, confirmFrames ${defaultGrouping.confirmFrames})`,
  );
  table(['hashBits', 'confirm', 'holds P', 'holds R', 'groups', 'images P', 'images R', 'groups'], rows);
  const revRows: (string | number)[][] = [];
  for (const revisitHashBits of [4, 6, 8, 10, 12, 14, 16, 18]) {
    const r = group(items, { ...base, revisitHashBits });
    const s = pairwiseScores(r.scene, truthImage);
    revRows.push([revisitHashBits, fmt(s.precision), fmt(s.recall), `${s.predictedGroups}/${s.truthGroups}`]);
  }
  console.log(`\n${method}: revisits at the default hashBits ${base.hashBits}`);
  table(['revisitHashBits', 'images P', 'images R', 'groups'], revRows);
  console.log('');
}

const fmt = (x: number, d = 3) => x.toFixed(d);
const table = (header: string[], rows: (string | number)[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => `| ${cells.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ')} |`;
  console.log([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
};

async function main() {
  if (!existsSync(join(args.data, 'manifest.csv'))) throw new Error(`development data not found at ${args.data} (pass --data)`);
  const size = Number(args.size);
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-bench-grouping-'));
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  try {
    let t0 = performance.now();
    const clip = await writeEvalClip(args.data, dir, {
      images: Number(args.images),
      revisits: Number(args.revisits),
      holdSeconds: Number(args.hold),
      fps: Number(args.fps),
      seed: Number(args.seed),
    });
    console.log(
      `clip: ${clip.holds.length} holds of ${args.hold} s (${args.images} distinct images, ${args.revisits} revisits), 320x240 H.264, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    t0 = performance.now();
    const frames: Frame[] = await lastValueFrom(
      decodeVideo(clip.path, { everySeconds: Number(args.every), outputSize: { width: size, height: size } }).pipe(toArray()),
    );
    const decodeMs = (performance.now() - t0) / frames.length;
    console.log(`sampled ${frames.length} frames every ${args.every} s at ${size}x${size}\n`);

    // Cost: hashing and grouping per frame, against decoding the same frames (baseline).
    const timeHash = (fn: typeof dHash, fs: Frame[]) => {
      const start = performance.now();
      for (const f of fs) fn(f.pixels, f.width, f.height);
      return (performance.now() - start) / fs.length;
    };
    timeHash(dHash, frames.slice(0, 50)); // warm-up
    const dMs = timeHash(dHash, frames);
    const pMs = timeHash(pHash, frames);
    const hashes = frames.map((f) => pHash(f.pixels, f.width, f.height));
    const items: Item[] = frames.map((f, i) => ({ hash: hashes[i]!, ...clip.truthAt(f.ptsSeconds) }));
    const base = { ...defaultGrouping, ...defaultRevisit, useEmbeddings: false };
    const timeGroup = (its: Item[]) => {
      const start = performance.now();
      group(its, base);
      return (performance.now() - start) / its.length;
    };
    timeGroup(items);
    const gMs = timeGroup(items);
    const big = Array.from({ length: 4 }, () => items).flat();
    const gBigMs = timeGroup(big);
    const bigFrames = Array.from({ length: 4 }, () => frames).flat();
    const dBigMs = timeHash(dHash, bigFrames);
    const pBigMs = timeHash(pHash, bigFrames);
    table(
      ['stage (per frame)', `ms, ${frames.length} frames`, `ms, ${bigFrames.length} frames`],
      [
        ['ffmpeg decode + sample + scale (baseline)', fmt(decodeMs), '-'],
        [`dHash ${size}x${size}`, fmt(dMs, 4), fmt(dBigMs, 4)],
        [`pHash ${size}x${size}`, fmt(pMs, 4), fmt(pBigMs, 4)],
        ['grouping + revisit index (pHash, masked)', fmt(gMs, 4), fmt(gBigMs, 4)],
        ['pHash + grouping (the default path)', fmt(pMs + gMs, 4), fmt(pBigMs + gBigMs, 4)],
      ],
    );
    const big512 = frames.slice(0, 100).map((f) => ({ ...f, width: 512, height: 512, pixels: new Uint8Array(512 * 512 * 3).fill(7) }));
    console.log(
      `on a 512x512 frame: dHash ${fmt(timeHash(dHash, big512), 4)} ms, pHash ${fmt(timeHash(pHash, big512), 4)} ms (sampled grid: cost barely grows with size)\n`,
    );

    // Skipping inference: how much is saved at each duplicateBits, and how often a reused result
    // belongs to another hold (a wrong reuse), replaying skipDuplicates' rule on the pHashes.
    const skipRows: (string | number)[][] = [];
    for (const duplicateBits of [3, 5, 8, 12]) {
      let last = -1;
      let inRow = 0;
      let reused = 0;
      let wrong = 0;
      items.forEach((it, i) => {
        if (last >= 0 && inRow < defaultSkip.maxReuseFrames && hashDistance(it.hash, items[last]!.hash) <= duplicateBits) {
          reused++;
          inRow++;
          if (items[last]!.hold !== it.hold) wrong++;
        } else {
          last = i;
          inRow = 0;
        }
      });
      skipRows.push([
        duplicateBits + (duplicateBits === defaultSkip.duplicateBits ? ' (default)' : ''),
        `${fmt((100 * reused) / items.length, 1)} %`,
        wrong,
      ]);
    }
    console.log(
      `skipping inference on near-duplicates (pHash; maxReuseFrames ${defaultSkip.maxReuseFrames}; ${items.length} frames, a new image every ${args.hold} s)`,
    );
    table(['duplicateBits', 'inference saved', 'reused across a cut'], skipRows);
    console.log('');

    const methods = args.hash === 'both' ? (['dhash', 'phash'] as const) : ([args.hash as 'dhash' | 'phash'] as const);
    for (const method of methods) {
      const fn = method === 'phash' ? pHash : dHash;
      const methodItems: Item[] = frames.map((f, i) => ({ hash: fn(f.pixels, f.width, f.height), ...clip.truthAt(f.ptsSeconds) }));
      qualityTables(method, methodItems, base);
    }
    const truthHold = items.map((i) => i.hold);
    const truthImage = items.map((i) => i.image);
    if (args.model) {
      const model = await ModelSession.open(args.model);
      const { width, height } = model.card.input;
      const modelFrames = await lastValueFrom(
        decodeVideo(clip.path, { everySeconds: Number(args.every), outputSize: { width, height } }).pipe(toArray()),
      );
      t0 = performance.now();
      for (let i = 0; i < modelFrames.length; i += 8) {
        const results = await predictBatch(model, modelFrames.slice(i, i + 8), { cams: false });
        results.forEach((r, j) => (items[i + j]!.embedding = r.embedding));
      }
      const inferMs = (performance.now() - t0) / modelFrames.length;
      const embRows: (string | number)[][] = [];
      for (const [hashBits, minCosine, revisitMinCosine] of [
        [12, 0.9, 0.92],
        [16, 0.9, 0.92],
        [12, 0.8, 0.85],
        [16, 0.85, 0.9],
        [64, 0.9, 0.92],
      ] as const) {
        const r = group(items, { ...base, hashBits, minCosine, revisitMinCosine, useEmbeddings: true });
        embRows.push([hashBits, minCosine, revisitMinCosine, ...scoreCells(r, truthHold, truthImage)]);
      }
      console.log(`\nhash + embedding (${model.card.name}, ${width}x${height}, ${fmt(inferMs, 1)} ms a frame to infer)`);
      table(['hashBits', 'minCosine', 'revisitMinCos', 'holds P', 'holds R', 'groups', 'images P', 'images R', 'groups'], embRows);
      const perHour = (clip.holds.length / (clip.holds.length * Number(args.hold))) * 3600;
      console.log(
        `\nrevisit index: ${SceneIndex.bytesPerScene(model.card.embedding?.length ?? 0)} bytes a scene with a ${model.card.embedding?.length}-float embedding`,
      );
      console.log(
        `at one scene change every ${args.hold} s (this clip): ${Math.round(perHour)} scenes an hour -> ${fmt((perHour * SceneIndex.bytesPerScene(model.card.embedding?.length ?? 0)) / 1e6, 2)} MB an hour of video`,
      );
      await model.close();
    }
    const perHour = 3600 / Number(args.hold);
    console.log(
      `\nrevisit index, hash only: ${SceneIndex.bytesPerScene(0)} bytes a scene; ${Math.round(perHour)} scenes an hour (a change every ${args.hold} s) -> ${fmt((perHour * SceneIndex.bytesPerScene(0)) / 1e3, 0)} kB an hour; with a 1280-float embedding ${fmt((perHour * SceneIndex.bytesPerScene(1280)) / 1e6, 1)} MB an hour`,
    );
    console.log(
      `live mode (consecutive grouping only): ${defaultGrouping.memoryFrames} remembered members + at most ${defaultGrouping.confirmFrames - 1} held frame(s): constant memory`,
    );
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
