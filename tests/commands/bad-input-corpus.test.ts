/**
 * A generated corpus of bad inputs (the cases found by trying rovlens as a new user would, including
 * those that already held) run through every command that reads video: each gets its documented exit
 * code, a one-line message and no stack trace, and no input is changed (checksums before and after).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ffmpeg } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-corpus-'));
const corpus = join(dir, 'corpus');
const out = join(dir, 'out');
const model = writeTinyModel(join(dir, 'model'), { withCams: true }).modelPath;
const at = (name: string) => join(corpus, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every file under the corpus and the model folder, with its checksum. */
function checksums(): Record<string, string> {
  const sums: Record<string, string> = {};
  for (const root of [corpus, join(dir, 'model')]) {
    for (const name of readdirSync(root, { recursive: true }) as string[]) {
      const path = join(root, name);
      if (statSync(path).isFile()) sums[path] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  }
  return sums;
}

beforeAll(() => {
  mkdirSync(corpus, { recursive: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(at('empty.mp4'), '');
  writeFileSync(at('random.mp4'), randomBytes(64 * 1024));
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'aac', at('audio-only.m4a')]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x120', '-frames:v', '1', at('still.png')]);
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=10:duration=20',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '10',
    at('full.mkv'),
  ]);
  const full = readFileSync(at('full.mkv'));
  writeFileSync(at('truncated.mkv'), full.subarray(0, Math.floor(full.length * 0.3)));
  spawnSync('cp', [at('still.png'), at('still-named.mp4')]);
  mkdirSync(at('a-folder'), { recursive: true });
  writeFileSync(at('a-folder/notes.txt'), 'no images here');
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=10:duration=2',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    at('good été ünicode.mp4'),
  ]);
});

type Command = 'timeline' | 'annotate' | 'group' | 'probe' | 'live';
const argsFor: Record<Command, (input: string, name: string) => string[]> = {
  timeline: (input, name) => ['timeline', input, '--model', model, '-o', join(out, `${name}.csv`), '-q'],
  annotate: (input, name) => ['annotate', input, '--model', model, '-o', join(out, `${name}-annotated/`), '-q', '--every', '2'],
  group: (input, name) => ['group', input, '--model', model, '-o', join(out, `${name}-groups`), '-q'],
  probe: (input) => ['probe', input],
  live: (input, name) => ['live', input, '--model', model, '--port', '0', '--record', join(out, `${name}-live.csv`)],
};

// case, input, expected exit code per command (absent: not run), message pattern
const cases: [string, () => string, Partial<Record<Command, number>>, RegExp][] = [
  ['a missing file', () => at('no-such-dive.mp4'), { timeline: 3, annotate: 3, group: 3, probe: 3, live: 3 }, /no-such-dive\.mp4/],
  ['an empty file', () => at('empty.mp4'), { timeline: 4, annotate: 4, group: 4, probe: 4, live: 4 }, /empty/],
  ['random bytes', () => at('random.mp4'), { timeline: 4, annotate: 4, group: 4, probe: 4, live: 4 }, /random\.mp4/],
  ['audio only', () => at('audio-only.m4a'), { timeline: 4, annotate: 4, group: 4, probe: 4, live: 4 }, /no video stream/],
  ['a still image named .mp4', () => at('still-named.mp4'), { timeline: 4, annotate: 4, probe: 4 }, /still-named\.mp4/],
  ['a folder', () => at('a-folder'), { timeline: 4, probe: 4 }, /a-folder/],
  ['a truncated recording', () => at('truncated.mkv'), { timeline: 7, annotate: 7, group: 7 }, /decoded \d+\.\d of 20\.0 s/],
];

describe.each(cases)('%s', (what, input, codes, message) => {
  it.each(Object.entries(codes) as [Command, number][])(`%s exits %i with one line and changes no input`, async (command, code) => {
    const before = checksums();
    const run = await runCli(argsFor[command](input(), what.replace(/\W+/g, '-')), { env: { ROVLENS_DEBUG: '' }, timeoutMs: 90_000 });
    expect(run.code, run.stderr).toBe(code);
    const lines = run.stderr
      .trim()
      .split('\n')
      .filter((l) => !/^rovlens live: /.test(l)); // live's status lines
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^rovlens: /);
    expect(lines[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(checksums()).toEqual(before);
  });
});

describe('inputs that held', () => {
  it('a unicode path runs through timeline (exit 0) and changes no input', async () => {
    const before = checksums();
    const run = await runCli(argsFor.timeline(at('good été ünicode.mp4'), 'unicode'));
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(out, 'unicode.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(checksums()).toEqual(before);
  });
});
