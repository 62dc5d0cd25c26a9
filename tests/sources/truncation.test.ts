/**
 * Truncated recordings: a 20 s MKV and a faststart MP4 (its index at the front, so ffprobe still says
 * 20 s) cut to their first 30 % by `head -c`, run through timeline, group, clusters, review and annotate as a user would.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { truncationShortfall } from '../../src/sources/ffmpeg.js';
import { runCli } from '../helpers/cli.js';
import { ffmpeg } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-truncation-'));
const model = writeTinyModel(join(dir, 'model')).modelPath;
const clip = (name: string) => join(dir, name);
const rows = (path: string) => readFileSync(path, 'utf8').trim().split('\n').length - 1;

function cut(full: string, to: string, fraction: number): void {
  const head = spawnSync('head', ['-c', String(Math.floor(statSync(full).size * fraction)), full]);
  writeFileSync(to, head.stdout);
}

beforeAll(() => {
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=20', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '10', clip('full.mkv')]);
  ffmpeg(['-i', clip('full.mkv'), '-c', 'copy', '-movflags', '+faststart', clip('full.mp4')]);
  cut(clip('full.mkv'), clip('cut.mkv'), 0.3);
  cut(clip('full.mp4'), clip('cut.mp4'), 0.3);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('truncationShortfall', () => {
  it('allows max(2 s, 2 %) plus the sampling interval, and no more', () => {
    expect(truncationShortfall(18.1, 0, 20)).toBeUndefined();
    expect(truncationShortfall(17.9, 0, 20)).toEqual({ decodedSeconds: 17.9, expectedSeconds: 20 });
    expect(truncationShortfall(9000 - 170, 0, 9000)).toBeUndefined(); // 2 % of 2.5 h is 180 s
    expect(truncationShortfall(9000 - 190, 0, 9000)).toBeDefined();
    expect(truncationShortfall(14, 0, 20, { everySeconds: 7 })).toBeUndefined();
    expect(truncationShortfall(undefined, 5, 20)).toEqual({ decodedSeconds: 0, expectedSeconds: 15 });
    expect(truncationShortfall(12, 10, 13)).toBeUndefined(); // --start 10 --end 13
  });
});

describe.each(['mkv', 'mp4'])('a %s cut to its first 30 %', (ext) => {
  it('timeline writes the decoded rows, says "decoded X of Y s" and exits 7', async () => {
    const out = clip(`timeline-${ext}.csv`);
    const run = await runCli(['timeline', clip(`cut.${ext}`), '--model', model, '-o', out, '-q']);
    expect(run.code, run.stderr).toBe(7);
    expect(run.stderr).toMatch(
      new RegExp(
        `^rovlens: .*cut\\.${ext}: decoded \\d+\\.\\d of 20\\.0 s(, \\d+ decoder errors concealed)?; the recording looks truncated`,
        'm',
      ),
    );
    expect(rows(out)).toBeGreaterThan(2);
    expect(rows(out)).toBeLessThan(10);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // The faststart MP4 also makes the decoder conceal errors at the cut: counted in the same line.
    if (ext === 'mp4') expect(run.stderr).toMatch(/, \d+ decoder errors concealed;/);
  });

  it('timeline --allow-truncated accepts it with a warning and exits 0', async () => {
    const out = clip(`allowed-${ext}.csv`);
    const run = await runCli(['timeline', clip(`cut.${ext}`), '--model', model, '-o', out, '-q', '--allow-truncated']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /rovlens: warning: .*decoded \d+\.\d of 20\.0 s(, \d+ decoder errors concealed)?; the recording looks truncated \(accepted with --allow-truncated\)/,
    );
    expect(rows(out)).toBeGreaterThan(2);
  });

  it('group groups the decoded frames, says so and exits 7; --allow-truncated warns and exits 0', async () => {
    const out = clip(`groups-${ext}`);
    const run = await runCli(['group', clip(`cut.${ext}`), '--model', model, '-o', out, '-q']);
    expect(run.code, run.stderr).toBe(7);
    expect(run.stderr).toMatch(
      /^rovlens: .*decoded \d+\.\d of 20\.0 s.*the recording looks truncated.*; its \d+ decoded frame\(s\) are grouped$/m,
    );
    const framesRows = rows(join(out, 'frames.csv'));
    expect(framesRows).toBeGreaterThan(2);
    expect(framesRows).toBeLessThan(10);
    expect(Number(/its (\d+) decoded frame/.exec(run.stderr)![1])).toBe(framesRows);
    const allowed = await runCli([
      'group',
      clip(`cut.${ext}`),
      '--model',
      model,
      '-o',
      clip(`groups-allowed-${ext}`),
      '-q',
      '--allow-truncated',
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toMatch(/rovlens: warning: .*the recording looks truncated \(accepted with --allow-truncated\)/);
    expect(rows(join(clip(`groups-allowed-${ext}`), 'frames.csv'))).toBe(framesRows);
  });

  it('clusters clusters the decoded frames, says so and exits 7', async () => {
    const out = clip(`clusters-${ext}`);
    const args = ['-o', out, '-q', '--k', '2', '--every', '0.5', '--no-dedupe'];
    const run = await runCli(['clusters', clip(`cut.${ext}`), '--model', model, ...args]);
    expect(run.code, run.stderr).toBe(7);
    expect(run.stderr).toMatch(
      /^rovlens: .*decoded \d+\.\d of 20\.0 s.*the recording looks truncated.*; its \d+ sampled frame\(s\) are clustered$/m,
    );
    expect(rows(join(out, 'clusters.csv'))).toBeGreaterThan(2);
  });

  it('review --list queues the decoded frames with a warning that the recording ends early', async () => {
    const run = await runCli(['review', clip(`cut.${ext}`), '--model', model, '--list', '--json', '-q']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/rovlens: warning: .*the recording looks truncated \(its frames up to there are reviewed\)$/m);
    const queue = JSON.parse(run.stdout) as { size: number }[];
    expect(queue.reduce((n, item) => n + item.size, 0)).toBeGreaterThan(2);
  });

  it('annotate finishes the frames it rendered and exits 7', async () => {
    const out = clip(`annotated-${ext}.mp4`);
    // No overlay mask: its first estimate holds frames back, and a cut this short would end inside it.
    const run = await runCli(['annotate', clip(`cut.${ext}`), '--model', model, '-o', out, '-q', '--every', '2', '--overlay-mask', 'off']);
    expect(run.code, run.stderr).toBe(7);
    expect(run.stderr).toMatch(/decoded \d+\.\d of 20\.0 s/);
    expect(statSync(out).size).toBeGreaterThan(1000);
  });
});

describe('the whole recording', () => {
  it('exits 0 with every row, and --start past its end is a usage error', async () => {
    const out = clip('full.csv');
    const full = await runCli(['timeline', clip('full.mkv'), '--model', model, '-o', out, '-q']);
    expect(full.code, full.stderr).toBe(0);
    expect(rows(out)).toBe(20);
    const late = await runCli(['timeline', clip('full.mkv'), '--model', model, '-o', out, '-q', '--start', '30']);
    expect([late.code, late.stderr.trim().split('\n').at(-1)]).toEqual([
      2,
      `rovlens: --start: 30 s is past the end of ${clip('full.mkv')} (20.0 s)`,
    ]);
  });
});
