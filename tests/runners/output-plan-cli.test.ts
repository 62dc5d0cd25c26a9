/** The output plan as a user meets it: spawned commands whose outputs would destroy their inputs, or cannot be written. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { ffmpeg } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-output-plan-cli-'));
const model = writeTinyModel(join(dir, 'model')).modelPath;
const video = join(dir, 'dive.mp4');
const nav = join(dir, 'nav.csv');
const sum = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', video]);
  writeFileSync(nav, 'time,latitude,longitude,depth\n2022-10-06T13:50:40Z,43.1,5.9,100\n2022-10-06T13:50:45Z,43.2,5.9,101\n');
  linkSync(video, join(dir, 'hard-link.mp4'));
});

describe('an output that is an input is refused before anything is written (exit 2, naming both)', () => {
  it.each([
    ['timeline -o the video', () => ['timeline', video, '-o', video], /^rovlens: -o: .*dive\.mp4 is the input .*dive\.mp4; writing it would destroy it/],
    ['timeline -o a hard link to the video', () => ['timeline', video, '-o', join(dir, 'hard-link.mp4')], /^rovlens: -o: .*hard-link\.mp4 is the input .*dive\.mp4/],
    ['timeline --segments the video', () => ['timeline', video, '--segments', video], /^rovlens: --segments: .*dive\.mp4 is the input/],
    [
      'timeline --segments the navigation log',
      () => ['timeline', video, '--segments', nav, '--nav', nav, '--video-start', '2022-10-06T13:50:40Z'],
      /^rovlens: --segments: .*nav\.csv is the --nav file/,
    ],
    ['timeline -o and --segments on one file', () => ['timeline', video, '-o', join(dir, 'x.csv'), '--segments', join(dir, '.', 'x.csv')], /^rovlens: --segments and -o both name/],
    ['timeline -o the model card', () => ['timeline', video, '-o', model.replace(/\.onnx$/, '.card.json')], /^rovlens: -o: .*tiny\.card\.json is the --model \(its card\) file/],
    ['annotate -o the video', () => ['annotate', video, '-o', video], /^rovlens: -o: .*dive\.mp4 is the input/],
    ['annotate --contact-sheet onto -o', () => ['annotate', video, '-o', join(dir, 'frames/'), '--contact-sheet', join(dir, 'frames', 'sheet.jpg'), '--every', '1'], null],
  ])('%s', async (_what, args, message) => {
    const before = [sum(video), sum(nav), sum(model)];
    const run = await runCli([...args(), '--model', model, '-q']);
    if (message === null) {
      expect(run.code, run.stderr).toBe(0); // a sheet inside the frames folder is a different file
      return;
    }
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect([sum(video), sum(nav), sum(model)]).toEqual(before);
  });
});

describe('the run file of export and report, and the recordings of review, are never an output (exit 2)', () => {
  it('refuses export -o, report -o and review --labels onto their inputs, leaving them unchanged', async () => {
    const run = join(dir, 'run.jsonl');
    const made = await runCli(['timeline', video, '--model', model, '-q', '--format', 'jsonl', '-o', run]);
    expect(made.code, made.stderr).toBe(0);
    const before = [sum(run), sum(video)];
    for (const [args, message] of [
      [['export', run, '--to', 'viame', '-o', run], /^rovlens: -o: .*run\.jsonl is the run file .*run\.jsonl; writing it would destroy it/],
      [['report', run, '-o', run], /^rovlens: -o: .*run\.jsonl is the run file/],
      [['review', video, '--model', model, '--labels', video, '--port', '0'], /^rovlens: --labels: .*dive\.mp4 is the input/],
    ] as const) {
      const refused = await runCli([...args]);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr.trim()).toMatch(message);
    }
    expect([sum(run), sum(video)]).toEqual(before);
  });
});

describe('an output that cannot be written is said before decoding (exit 6)', () => {
  it.each([
    ['--segments into a folder', () => ['timeline', video, '--segments', dir], /^rovlens: --segments: cannot write .*: it is a folder; name a file$/],
    ['-o under a file', () => ['timeline', video, '-o', join(video, 'x.csv')], /^rovlens: -o: cannot write .*: .*dive\.mp4 is a file, not a folder$/],
    ['group -o onto a file', () => ['group', video, '-o', nav, '--no-embeddings'], /^rovlens: -o: cannot write .*nav\.csv: it is a file, not a folder$/],
    ['annotate -o under /proc', () => ['annotate', video, '-o', '/proc/no-such/out.mp4'], /^rovlens: -o: cannot write \/proc\/no-such\/out\.mp4: the folder \/proc is not writable$/],
  ])('%s', async (_what, args, message) => {
    const run = await runCli([...args(), '--model', model, '-q']);
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr.trim()).toMatch(message);
  });
});

describe('a full disk is one line and exit 6, for files and standard output (ENOSPC from /dev/full)', () => {
  it('timeline -o /dev/full', async () => {
    const run = await runCli(['timeline', video, '--model', model, '-q', '-o', '/dev/full']);
    expect([run.code, run.stderr.trim()]).toEqual([6, 'rovlens: cannot write /dev/full: no space left on the device (ENOSPC)']);
  });

  it('timeline > /dev/full', () => {
    const run = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" timeline "${video}" --model "${model}" -q > /dev/full`], { encoding: 'utf8' });
    expect([run.status, run.stderr.trim()]).toEqual([6, 'rovlens: cannot write standard output: no space left on the device (ENOSPC)']);
  });
});

describe('an existing output is replaced whole, or not at all', () => {
  it('keeps the old file until the new one is complete, and leaves no partial file behind', async () => {
    mkdirSync(join(dir, 'replace'), { recursive: true });
    const out = join(dir, 'replace', 'dive.csv');
    writeFileSync(out, 'the previous run\n');
    const run = await runCli(['timeline', video, '--model', model, '-q', '-o', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(4); // header + 3 s at one row a second
    expect(readdirSync(join(dir, 'replace'))).toEqual(['dive.csv']);
  });
});
