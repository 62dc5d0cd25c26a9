/**
 * Every early exit ends its children: a usage error, from any command, exits promptly and leaves no
 * ffmpeg behind. Children are found by a marker in their environment, which they inherit.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { ffmpeg } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-usage-exits-'));
const model = writeTinyModel(join(dir, 'model')).modelPath;
const video = join(dir, 'dive.mp4');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Processes (other than the CLI itself) that carry the marker in their environment. */
function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker))
        found.push(readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' '));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

function run(args: string[]): Promise<{ code: number | null; stderr: string; ms: number; left: string[] }> {
  const marker = `ROVLENS_USAGE_EXIT=${randomUUID()}`;
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ROVLENS_DEBUG: '', ROVLENS_USAGE_EXIT: marker.split('=')[1] },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      // A moment for a child that outlived the CLI to show up as one.
      setTimeout(() => done({ code, stderr, ms, left: processesWith(marker) }), 200);
    });
  });
}

let startupMs = 0;
beforeAll(async () => {
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=10:duration=3',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    video,
  ]);
  // What starting the CLI and loading a command's pipeline costs on this machine (an input that is
  // not there fails right after both): the 2 s budget comes on top.
  const startup = await run(['timeline', join(dir, 'missing.mp4'), '-q']);
  expect(startup.code, startup.stderr).toBe(3);
  startupMs = startup.ms;
});

describe('a usage error exits within 2 s (after start-up) with no ffmpeg left', () => {
  it.each([
    [
      'timeline, a --cam-also class the model lacks',
      () => ['timeline', video, '--model', model, '-o', join(dir, 'x.csv'), '--cam-also', 'element:nonexistent'],
    ],
    ['timeline, an output that is the input', () => ['timeline', video, '--model', model, '-o', video]],
    [
      'annotate, --class nonexistent into a video',
      () => ['annotate', video, '--model', model, '-o', join(dir, 'a.mp4'), '--class', 'nonexistent'],
    ],
    [
      'annotate, --head nonexistent into a video',
      () => ['annotate', video, '--model', model, '-o', join(dir, 'a.mp4'), '--head', 'nonexistent'],
    ],
    ['annotate, --start past the end', () => ['annotate', video, '--model', model, '-o', join(dir, 'b.mp4'), '--start', '60']],
    ['probe, an unknown flag', () => ['probe', video, '--bogus']],
    ['live, a port out of range', () => ['live', video, '--model', model, '--port', '70000']],
    ['live, --record onto its input', () => ['live', video, '--model', model, '--port', '0', '--record', video]],
    ['group, a crop out of range', () => ['group', video, '--crop', '2x2', '-o', join(dir, 'g')]],
    ['clusters, an element the model lacks', () => ['clusters', video, '--model', model, '--element', 'nonexistent', '-o', join(dir, 'c')]],
    ['train, an unknown flag', () => ['train', '--bogus']],
    ['evaluate, an unknown flag', () => ['evaluate', '--bogus']],
    ['card, an unknown flag', () => ['card', model, '--bogus']],
    ['export, an unknown format', () => ['export', join(dir, 'run.jsonl'), '--to', 'bogus', '-o', join(dir, 'e.csv')]],
    ['report, an unknown flag', () => ['report', join(dir, 'run.jsonl'), '--bogus']],
    ['review, an unknown flag', () => ['review', video, '--bogus']],
    ['queue add, an unknown flag', () => ['queue', 'add', video, '--bogus']],
  ])('%s', async (_what, args) => {
    const result = await run(args());
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.left).toEqual([]);
    expect(result.ms, `start-up alone took ${startupMs.toFixed(0)} ms`).toBeLessThan(startupMs + 2000);
  });
});
