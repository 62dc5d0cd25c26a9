/** `rovlens group`: in-process for the outputs, and the built CLI in a child process for errors and exit codes. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGroupFlags } from '../../src/commands/group.js';
import { runGroup } from '../../src/runners/group.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { writeSceneClip } from './group-fixtures.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'rovlens-group-'));
const clip = join(dir, 'dive.mp4');
const second = join(dir, 'second.mp4');
const readCsv = (path: string) => parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
const group = (inputs: string[], flags: Record<string, unknown>) =>
  runGroup(inputs, parseGroupFlags({ quiet: true, crop: '1x1', every: '0.5', ...flags }));

beforeAll(() => {
  writeSceneClip(clip, ['bars', 'fractal', 'rgb', 'bars'], 2);
  writeSceneClip(second, ['hdbars', 'rgb'], 2);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rovlens group on video', () => {
  it('writes one group per scene, merging a revisit, with first and last times and a representative', async () => {
    const out = join(dir, 'out-revisit');
    expect(await group([clip], { output: out, embeddings: false })).toBe(0);
    const groups = readCsv(join(out, 'groups.csv'));
    expect(groups.map((g) => [g.group_id, g.members, g.segments])).toEqual([
      ['0', '8', '2'],
      ['1', '4', '1'],
      ['2', '4', '1'],
    ]);
    expect(Number(groups[0]!.first_seconds)).toBeCloseTo(0, 3);
    expect(Number(groups[0]!.last_seconds)).toBeCloseTo(7.5, 3);
    expect(Number(groups[1]!.first_seconds)).toBeCloseTo(2, 3);
    expect(groups[1]!.representative_index).toBe('20');
    const frames = readCsv(join(out, 'frames.csv'));
    expect(frames).toHaveLength(16);
    expect(frames.map((f) => f.group_id).join('')).toBe('0000111122220000');
    expect(frames.map((f) => f.segment_id).join('')).toBe('0000111122223333');
  });

  it('keeps a revisit as its own group with --no-revisits', async () => {
    const out = join(dir, 'out-plain');
    await group([clip], { output: out, embeddings: false, revisits: false });
    expect(readCsv(join(out, 'groups.csv')).map((g) => g.members)).toEqual(['4', '4', '4', '4']);
  });

  it('finds a scene again in another file and lists both sources for it', async () => {
    const out = join(dir, 'out-two');
    await group([clip, second], { output: out, embeddings: false });
    const groups = readCsv(join(out, 'groups.csv'));
    expect(groups).toHaveLength(4);
    const rgb = groups.find((g) => g.segments === '2' && g.sources === '2')!;
    expect(rgb.first_source).toBe(clip);
    expect(rgb.last_source).toBe(second);
  });

  it('draws a contact sheet with one captioned tile per group', async () => {
    const out = join(dir, 'out-sheet');
    await group([clip], { output: out, embeddings: false, tileWidth: '64', sheetColumns: '8' });
    const meta = await sharp(join(out, 'groups-001.jpg')).metadata();
    // Three tiles of 64 px and four 4 px gaps in one row.
    expect([meta.format, meta.width]).toEqual(['jpeg', 3 * 64 + 4 * 4]);
  });

  it('uses the model embedding and skips inference on near-duplicates when a model is given', async () => {
    const tiny = writeTinyModel(join(dir, 'model'));
    const out = join(dir, 'out-model');
    const chunks: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (chunks.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await group([clip], { output: out, model: tiny.modelPath, quiet: false });
    } finally {
      process.stderr.write = write;
    }
    const frames = readCsv(join(out, 'frames.csv'));
    expect(frames.map((f) => f.group_id).join('')).toBe('0000111122220000');
    const reused = frames.filter((f) => f.reused === '1').length;
    expect(reused).toBeGreaterThan(0);
    expect(chunks.join('')).toMatch(
      new RegExp(`16 frames from 1 input\\(s\\) -> 3 groups \\(1 revisits merged\\); model run on ${16 - reused}, reused on ${reused}`),
    );
  });
});

describe('rovlens group on image folders', () => {
  it('groups near-identical images (noise, brightness) and separates different ones', async () => {
    const images = join(dir, 'images');
    mkdirSync(images, { recursive: true });
    // Three unlike pictures: a wavy texture, a bright disc on the left, a left-to-right ramp with a dark block.
    const looks = [
      (x: number, y: number) => 128 + 90 * Math.sin(x / 5) * Math.cos(y / 4),
      (x: number, y: number) => ((x - 25) ** 2 + (y - 36) ** 2 < 400 ? 230 : 40),
      (x: number, y: number) => (x > 60 && y < 30 ? 10 : 30 + x * 2),
    ];
    const scene = async (seed: number) => {
      const px = Buffer.alloc(96 * 72 * 3);
      for (let y = 0; y < 72; y++)
        for (let x = 0; x < 96; x++) {
          const v = looks[seed - 1]!(x, y);
          px.set([v, v * 0.8, 255 - v], (y * 96 + x) * 3);
        }
      return sharp(px, { raw: { width: 96, height: 72, channels: 3 } });
    };
    await (await scene(1)).jpeg({ quality: 90 }).toFile(join(images, 'a1.jpg'));
    await (await scene(1)).linear(1, 20).jpeg({ quality: 40 }).toFile(join(images, 'a2.jpg'));
    await (await scene(2)).png().toFile(join(images, 'b1.png'));
    await (await scene(1)).blur(1).png().toFile(join(images, 'c-a3.png'));
    await (await scene(3)).png().toFile(join(images, 'd1.png'));
    const out = join(dir, 'out-images');
    expect(await runGroup([images], parseGroupFlags({ quiet: true, output: out, embeddings: false }))).toBe(0);
    const frames = readCsv(join(out, 'frames.csv'));
    const byName = Object.fromEntries(frames.map((f) => [f.source.split('/').pop(), f.group_id]));
    expect(byName['a1.jpg']).toBe(byName['a2.jpg']);
    expect(byName['a1.jpg']).toBe(byName['c-a3.png']);
    expect(new Set([byName['a1.jpg'], byName['b1.png'], byName['d1.png']]).size).toBe(3);
    expect(frames.every((f) => f.pts_seconds === '0')).toBe(true);
  });
});

describe('rovlens group (CLI)', () => {
  const rovlens = (...args: string[]) => {
    const run = spawnSync(process.execPath, [join(root, 'bin', 'rovlens.js'), 'group', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ROVLENS_DEBUG: '' },
    });
    return { code: run.status, stderr: run.stderr };
  };
  beforeAll(() => {
    // `npm test` builds first; build here only when run on its own from a clean checkout.
    if (!existsSync(join(root, 'dist', 'src', 'cli.js'))) spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  });

  it('exits 3 with one line when an input does not exist', () => {
    const run = rovlens(join(dir, 'missing.mp4'), '-o', join(dir, 'cli-missing'), '--no-embeddings', '-q');
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^rovlens: .*missing\.mp4.*\(skipped\)$/m);
  });

  it('exits 4 with one line when an input is not video', () => {
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, 'definitely not a video');
    const run = rovlens(junk, '-o', join(dir, 'cli-junk'), '--no-embeddings', '-q');
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^rovlens: cannot read .*junk\.mp4 as video.*\(skipped\)$/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('skips a bad video and a bad image like timeline, groups the others and says how many were skipped', () => {
    const junk = join(dir, 'junk-too.mp4');
    writeFileSync(junk, 'definitely not a video');
    const images = join(dir, 'skip-images');
    mkdirSync(images, { recursive: true });
    writeFileSync(join(images, 'broken.jpg'), 'not a jpeg');
    spawnSync('cp', [clip, join(dir, 'good.mp4')]);
    const out = join(dir, 'cli-skip');
    const run = rovlens(junk, join(images, 'broken.jpg'), join(dir, 'good.mp4'), '-o', out, '--no-embeddings');
    expect(run.code, run.stderr).toBe(4);
    const lines = run.stderr.trim().split('\n');
    expect(lines.filter((l) => l.endsWith('(skipped)'))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/from 3 input\(s\) \(2 skipped\) -> \d+ groups/);
    expect(readCsv(join(out, 'frames.csv')).every((f) => f.source!.endsWith('good.mp4'))).toBe(true);
    expect(readCsv(join(out, 'frames.csv')).length).toBeGreaterThan(0);
  });

  it('exits 2 naming the flag when a threshold is out of range', () => {
    const run = rovlens(clip, '--hash-bits', '99', '--no-embeddings');
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("rovlens: --hash-bits: must be an integer in 0..64, got '99'");
  });
});
