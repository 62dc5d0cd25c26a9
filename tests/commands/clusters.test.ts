/** `rovlens clusters`: in-process for the outputs (tiny model, generated images and clips), CLI for exit codes. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClusters } from '../../src/runners/clusters.js';
import { clustersCommandSchema, parseFlags } from '../../src/config/grouping.js';
import { ExitCode, InputError, UsageError } from '../../src/errors.js';
import { pairwiseScores } from '../../src/similarity/pairwise.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { writeSceneClip } from './group-fixtures.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'rovlens-clusters-'));
const images = join(dir, 'images');
const tiny = writeTinyModel(join(dir, 'model'));
const readCsv = (path: string) => parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
const clusters = (inputs: string[], flags: Record<string, unknown>) =>
  runClusters(inputs, parseFlags(clustersCommandSchema, { quiet: true, model: tiny.modelPath, ...flags }));

/** Colour families the tiny model tells apart: red (fauna/reef), green (algae), bright grey (rocks/sandy). */
const FAMILIES: Record<string, (shade: number) => [number, number, number]> = {
  red: (s) => [150 + s * 25, 20 + s * 5, 30],
  green: (s) => [30, 140 + s * 25, 40 + s * 5],
  grey: (s) => [180 + s * 15, 180 + s * 15, 180 + s * 15],
};

beforeAll(async () => {
  mkdirSync(images, { recursive: true });
  for (const [family, colour] of Object.entries(FAMILIES)) {
    for (let shade = 0; shade < 4; shade++) {
      const [r, g, b] = colour(shade);
      await sharp({ create: { width: 80, height: 64, channels: 3, background: { r, g, b } } })
        .png()
        .toFile(join(images, `${family}-${shade}.png`));
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const familyOf = (source: string) => source.split('/').pop()!.split('-')[0]!;

describe('rovlens clusters', () => {
  it('finds the colour families with k-means when given k, and draws a sheet per cluster', async () => {
    const out = join(dir, 'out-k3');
    expect(await clusters([images], { output: out, k: '3', dedupe: false })).toBe(0);
    const rows = readCsv(join(out, 'clusters.csv'));
    expect(rows).toHaveLength(12);
    const s = pairwiseScores(
      rows.map((r) => Number(r.kmeans_cluster)),
      rows.map((r) => familyOf(r.source!)),
    );
    expect([s.precision, s.recall]).toEqual([1, 1]);
    for (const c of ['00', '01', '02']) expect(existsSync(join(out, `kmeans-${c}.jpg`))).toBe(true);
    expect(rows.every((r) => Number(r.kmeans_distance) >= 0 && Number(r.kmeans_distance) < 0.5)).toBe(true);
  });

  it('chooses k = 3 by silhouette when k is not given', async () => {
    const out = join(dir, 'out-auto');
    await clusters([images], { output: out, dedupe: false, kMax: '6' });
    expect(new Set(readCsv(join(out, 'clusters.csv')).map((r) => r.kmeans_cluster)).size).toBe(3);
  });

  it('clusters only the frames predicted as the chosen element', async () => {
    const out = join(dir, 'out-algae');
    await clusters([images], { output: out, dedupe: false, element: 'algae', k: '2' });
    const rows = readCsv(join(out, 'clusters.csv'));
    expect(rows.map((r) => familyOf(r.source!))).toEqual(['green', 'green', 'green', 'green']);
    expect(rows.every((r) => r.label === 'algae')).toBe(true);
  });

  it('finds dense clusters with DBSCAN and marks the rest as noise', async () => {
    const out = join(dir, 'out-dbscan');
    await clusters([images], { output: out, dedupe: false, method: 'dbscan', eps: '0.3', minPoints: '3' });
    const rows = readCsv(join(out, 'clusters.csv'));
    const clustered = rows.filter((r) => r.dbscan_cluster !== '-1');
    const s = pairwiseScores(
      clustered.map((r) => Number(r.dbscan_cluster)),
      clustered.map((r) => familyOf(r.source!)),
    );
    expect(s.precision).toBe(1);
    expect(clustered.length).toBeGreaterThanOrEqual(9);
    expect(rows.every((r) => r.kmeans_cluster === '')).toBe(true);
  });

  it('clusters one frame per near-duplicate group of a video', async () => {
    const clip = join(dir, 'scenes.mp4');
    writeSceneClip(clip, ['bars', 'fractal', 'rgb', 'hdbars'], 2);
    const out = join(dir, 'out-video');
    await clusters([clip], { output: out, k: '2', every: '0.5', crop: '1x1' });
    const rows = readCsv(join(out, 'clusters.csv'));
    expect(rows.map((r) => r.group_id)).toEqual(['0', '1', '2', '3']);
    expect(rows.map((r) => Number(r.pts_seconds))).toEqual([0, 2, 4, 6]);
  });

  it('refuses an element the model does not know, listing the labels', async () => {
    const error = await clusters([images], { output: join(dir, 'x'), element: 'shipwreck' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      "--element: 'shipwreck' is not a label of head 'element' (labels: ripples, fauna, algae, waste, rocks)",
    );
  });

  it('says how many frames there were when too few are left to cluster', async () => {
    const error = await clusters([images], { output: join(dir, 'y'), element: 'waste' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).exitCode).toBe(ExitCode.inputInvalid);
    expect((error as Error).message).toMatch(
      /^0 frame\(s\) predicted as 'waste' to cluster \(of 12 sampled, \d+ after removing near-duplicates\); this needs at least 3$/,
    );
  });

  it('exits 2 with one line for a bad option and 5 for a missing model (CLI)', () => {
    if (!existsSync(join(root, 'dist', 'src', 'cli.js'))) spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(root, 'bin', 'rovlens.js'), 'clusters', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ROVLENS_DEBUG: '' },
      });
    const bad = cli(images, '--method', 'spectral', '--model', tiny.modelPath);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^rovlens: --method: /);
    const missing = cli(images, '--model', join(dir, 'nope.onnx'));
    expect(missing.status).toBe(5);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});
