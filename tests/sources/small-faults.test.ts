/** The smaller faults of the hardening work, each as a user meets it through the CLI. */
import { copyFileSync, chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffprobePath } from '../../src/sources/binaries.js';
import { runCli } from '../helpers/cli.js';
import { ffmpeg } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-small-faults-'));
const model = writeTinyModel(join(dir, 'model')).modelPath;
const video = join(dir, 'dive.mp4');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', video]);
});

describe('small faults', () => {
  it('blames a crop that keeps under 8x8 pixels on --crop (exit 2), not on the input', async () => {
    const run = await runCli(['timeline', video, '--model', model, '-q', '--crop', '0.001x0.001']);
    expect([run.code, run.stderr.trim().split('\n').at(-1)]).toEqual([
      2,
      'rovlens: --crop: 0.001x0.001 of 160x120 keeps 1x1 pixels; keep at least 8x8',
    ]);
  });

  it('annotates a 4001x3 video into a playable file', async () => {
    const odd = join(dir, 'odd.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=4001x3:rate=5:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p', odd]);
    const out = join(dir, 'odd-annotated.mp4');
    const run = await runCli(['annotate', odd, '--model', model, '-q', '-o', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(0);
  });

  it('says an ffprobe that cannot be run is a set-up problem, naming the file and FFPROBE_PATH', async () => {
    const noExec = join(dir, 'ffprobe-not-executable');
    copyFileSync(ffprobePath(), noExec);
    chmodSync(noExec, 0o644);
    const run = await runCli(['probe', video], { env: { FFPROBE_PATH: noExec } });
    expect([run.code, run.stderr.trim()]).toEqual([
      1,
      `rovlens: ffprobe at ${noExec} cannot be run by this user (not executable) (EACCES); run chmod +x on it, or set FFPROBE_PATH to another build`,
    ]);
  });

  it('leaves no empty ONNX Runtime telemetry log in the temp folder', async () => {
    const temp = mkdtempSync(join(dir, 'tmp-'));
    const run = await runCli(['timeline', video, '--model', model, '-q', '-o', join(dir, 'x.csv')], { env: { TMPDIR: temp } });
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(temp).filter((n) => n.startsWith('mat-debug-'))).toEqual([]);
  });
});
