import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { SAMPLES, tmpFile } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { ffmpegPath } from '../../src/sources/binaries.js';

const SD = join(SAMPLES, 'seafloor-sd.mp4');
type Row = Record<string, string>;
const readCsv = (path: string): Row[] => parse(readFileSync(path, 'utf8'), { columns: true }) as Row[];

describe('rovlens timeline (spawned as a user runs it, tiny model)', () => {
  let model: string;
  beforeAll(() => {
    model = writeTinyModel(tmpFile('cli-model')).modelPath;
  });

  it('writes one row per second of the SD sample with stream timestamps, sand then mud, and readable segments', async () => {
    const out = tmpFile('cli-sd.csv');
    const segments = tmpFile('cli-sd-segments.csv');
    const run = await runCli(['timeline', SD, '--model', model, '-o', out, '--segments', segments]);
    expect(run.code).toBe(0);
    const rows = readCsv(out);
    expect(rows.map((r) => Number(r.pts_seconds))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows.map((r) => r.frame_index)).toEqual(['0', '25', '50', '75', '100', '125', '150', '175', '200', '225']);
    expect(rows[3]!.timecode).toBe('00:00:03.000');
    expect(rows.slice(0, 5).every((r) => r.floor === 'sandy')).toBe(true);
    expect(rows.slice(5).every((r) => r.floor === 'muddy')).toBe(true);
    const floor = readCsv(segments).filter((s) => s.track === 'floor');
    expect(floor.map((s) => [s.label, s.start, s.end])).toEqual([
      ['sandy', '00:00:00.000', '00:00:05.000'],
      ['muddy', '00:00:05.000', '00:00:10.000'],
    ]);
    // The rock drifts right to left over the mud: Grad-CAM's box follows it, in source pixels.
    const boxX = rows.slice(5).map((r) => Number(r.element_box!.split(' ')[0]));
    expect(boxX.every((x, i) => i === 0 || x < boxX[i - 1]!)).toBe(true);
    expect(rows.every((r) => r.cam_method === 'gradcam' && r.group_id !== '')).toBe(true);
    expect(run.stderr).toMatch(/10 frames in/);
  });

  it('samples every frame of a window with --every 0 --start --end, and keyframes only with --keyframes', async () => {
    const window = await runCli(['timeline', SD, '--model', model, '--every', '0', '--start', '1', '--end', '00:00:02', '-q']);
    expect(window.code).toBe(0);
    const rows = parse(window.stdout, { columns: true }) as Row[];
    expect(rows).toHaveLength(25);
    expect(Number(rows[0]!.pts_seconds)).toBeCloseTo(1, 3);
    const keys = await runCli(['timeline', SD, '--model', model, '--keyframes', '--every', '0', '-q']);
    // The sample is encoded with a keyframe every 50 frames (2 s).
    expect((parse(keys.stdout, { columns: true }) as Row[]).map((r) => Number(r.pts_seconds))).toEqual([0, 2, 4, 6, 8]);
  });

  it('gives the same answers with the crop and resize pushed into ffmpeg or done by the operators', async () => {
    const pushed = parse((await runCli(['timeline', SD, '--model', model, '-q'])).stdout, { columns: true }) as Row[];
    const plain = parse((await runCli(['timeline', SD, '--model', model, '-q', '--no-pushdown'])).stdout, { columns: true }) as Row[];
    expect(plain.map((r) => r.pts_seconds)).toEqual(pushed.map((r) => r.pts_seconds));
    plain.forEach((r, i) => {
      expect(r.floor).toBe(pushed[i]!.floor);
      expect(Math.abs(Number(r.floor_confidence) - Number(pushed[i]!.floor_confidence))).toBeLessThan(0.02);
    });
  });

  it('writes one timeline and one segments file per input into an output folder, and JSON lines on request', async () => {
    const dir = tmpFile('cli-out-dir');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const other = tmpFile('second-dive.mp4');
    copyFileSync(SD, other);
    const run = await runCli(['timeline', SD, other, '--model', model, '-o', `${dir}/`, '--format', 'jsonl', '--every', '5', '-q']);
    expect(run.code).toBe(0);
    for (const stem of ['seafloor-sd', 'second-dive']) {
      const lines = readFileSync(join(dir, `${stem}.timeline.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((l) => !l.rovlensRun);
      expect(lines.map((l) => l.ptsSeconds)).toEqual([0, 5]);
      expect(existsSync(join(dir, `${stem}.segments.csv`))).toBe(true);
    }
    // Same file name from two folders: the second gets its own files, nothing is overwritten.
    const twin = join(tmpFile('cli-twin'), 'seafloor-sd.mp4');
    mkdirSync(join(twin, '..'), { recursive: true });
    copyFileSync(SD, twin);
    rmSync(dir, { recursive: true, force: true });
    expect((await runCli(['timeline', SD, twin, '--model', model, '-o', `${dir}/`, '--every', '5', '-q'])).code).toBe(0);
    expect(existsSync(join(dir, 'seafloor-sd.timeline.csv')) && existsSync(join(dir, 'seafloor-sd-2.timeline.csv'))).toBe(true);
    const both = await runCli(['timeline', SD, '--model', model, '-o', `${dir}/`, '--segments', 'segments.csv', '-q']);
    expect(both.code).toBe(2);
  });

  it('stops on SIGTERM with exit code 130, every row complete and no ffmpeg left behind', async () => {
    const input = tmpFile(`interrupt-${process.pid}.mp4`);
    copyFileSync(join(SAMPLES, 'seafloor-4k.mp4'), input);
    const out = tmpFile('cli-interrupted.csv');
    rmSync(out, { force: true });
    // Rows go to a partial file beside the output until the run ends (renamed into place then).
    const partial = () => readdirSync(dirname(out)).find((n) => n.startsWith('.cli-interrupted.partial-'));
    const run = await runCli(['timeline', input, '--model', model, '--every', '0', '-o', out, '--segments', `${out}.segments.csv`], {
      onSpawn: (child) => {
        const poll = setInterval(() => {
          const rowsSoFar = partial();
          if (rowsSoFar && readFileSync(join(dirname(out), rowsSoFar), 'utf8').split('\r\n').length > 3) {
            clearInterval(poll);
            child.kill('SIGTERM');
          }
        }, 20);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(run.code).toBe(130);
    expect(partial()).toBeUndefined();
    const rows = readCsv(out);
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.length).toBeLessThan(50);
    const width = Object.keys(rows[0]!).length;
    expect(rows.every((r) => Object.keys(r).length === width && r.element_p_rocks !== '')).toBe(true);
    expect(readCsv(`${out}.segments.csv`).length).toBeGreaterThan(0);
    const ffmpegs = execSync('ps -eo comm=,args=', { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.startsWith('ffmpeg') && line.includes(input));
    expect(ffmpegs).toEqual([]);
  });

  it('stops like Ctrl-C when the reader of its standard output goes away (| head), without a stack trace', async () => {
    const input = tmpFile(`epipe-${process.pid}.mp4`);
    copyFileSync(join(SAMPLES, 'seafloor-4k.mp4'), input);
    const run = await runCli(['timeline', input, '--model', model, '--every', '0', '-q'], {
      onSpawn: (child) => child.stdout!.once('data', () => child.stdout!.destroy()),
    });
    expect(run.code).toBe(130);
    expect(run.stderr).not.toMatch(/EPIPE|\n\s+at /);
    const ffmpegs = execSync('ps -eo comm=,args=', { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.startsWith('ffmpeg') && line.includes(input));
    expect(ffmpegs).toEqual([]);
  });

  it('adds box, peak and area columns for each heatmap asked for with --cam-also, and the full records to JSON lines', async () => {
    const run = await runCli(['timeline', SD, '--model', model, '--every', '3', '--cam-also', 'element:algae,floor:predicted', '-q']);
    expect(run.code).toBe(0);
    const header = run.stdout.split('\r\n')[0]!.split(',');
    const extra = ['element_algae', 'floor_predicted'].flatMap((p) => ['box', 'peak_x', 'peak_y', 'area'].map((c) => `${p}_${c}`));
    expect(header.slice(header.indexOf('cam_method') + 1, header.indexOf('group_id'))).toEqual(extra);
    const rows = parse(run.stdout, { columns: true }) as Row[];
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(Number(r.floor_predicted_peak_x)).toBeGreaterThan(0);
      expect(r.element_algae_area).not.toBe('');
    }
    const jsonl = await runCli([
      'timeline',
      SD,
      '--model',
      model,
      '--every',
      '5',
      '--cam-also',
      'element:algae',
      '--format',
      'jsonl',
      '-q',
    ]);
    const records = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => !l.rovlensRun);
    expect(records[0].extraLocalisations['element:algae']).toMatchObject({ head: 'element', label: 'algae', classIndex: 2 });
  });

  it('ends normally when ffmpeg exits well after closing its output, as on a loaded machine', async () => {
    // An ffmpeg that closes its standard output, then takes 300 ms to exit.
    const slow = tmpFile('slow-exit-ffmpeg.sh');
    writeFileSync(slow, `#!/bin/sh\n"${ffmpegPath()}" "$@"\ncode=$?\nexec 1>&-\nsleep 0.3\nexit $code\n`, { mode: 0o755 });
    const run = await runCli(['timeline', SD, '--model', model, '--every', '2', '-q'], { env: { FFMPEG_PATH: slow } });
    expect(run.code, run.stderr).toBe(0);
    expect((parse(run.stdout, { columns: true }) as Row[]).length).toBe(5);
  });

  it('runs a pipeline module the user wrote (--pipeline), here the built-in one keeping sandy frames only', async () => {
    const module = tmpFile('sandy-only-pipeline.mjs');
    writeFileSync(
      module,
      [
        "import { filter } from 'rxjs';",
        "import { timelinePipeline as builtIn } from '../../dist/pipelines/timeline.js';",
        "export const timelinePipeline = (ctx) => builtIn(ctx).pipe(filter((r) => r.heads.floor.label === 'sandy'));",
      ].join('\n'),
    );
    const run = await runCli(['timeline', SD, '--model', model, '--pipeline', module, '-q']);
    expect(run.code).toBe(0);
    expect((parse(run.stdout, { columns: true }) as Row[]).map((r) => Number(r.pts_seconds))).toEqual([0, 1, 2, 3, 4]);
    const missing = await runCli(['timeline', SD, '--model', model, '--pipeline', tmpFile('no-such-pipeline.mjs'), '-q']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^rovlens: --pipeline: .*no-such-pipeline\.mjs does not exist/);
  });

  it('falls back from CUDA to CPU with one clear line', async () => {
    const run = await runCli(['timeline', SD, '--model', model, '--device', 'cuda', '--every', '5', '-q']);
    expect(run.code).toBe(0);
    expect(run.stderr.trim()).toMatch(/^rovlens: CUDA is not available \(.*\); running on CPU$/);
    expect((parse(run.stdout, { columns: true }) as Row[]).length).toBe(2);
  });
});

describe('rovlens timeline: bad calls give one line and a documented exit code', () => {
  let model: string;
  beforeAll(() => {
    model = writeTinyModel(tmpFile('cli-model-bad')).modelPath;
  });

  it.each([
    ['a missing file', () => ['/no/such/dive.mp4'], 3, /^rovlens: input not found: \/no\/such\/dive\.mp4$/],
    ['random bytes', () => [writeBytes('random.mov')], 4, /^rovlens: cannot read .*random\.mov as video: /],
    ['a bad crop', () => [SD, '--crop', '2x1'], 2, /^rovlens: --crop: crop must be '<width>x<height>' as fractions/],
    ['a bad --every', () => [SD, '--every', '-1'], 2, /^rovlens: --every: /],
    ['an unknown format', () => [SD, '--format', 'xml'], 2, /^rovlens: --format: must be one of csv, jsonl, got 'xml'$/],
    ['a --cam-also without a head', () => [SD, '--cam-also', 'waste'], 2, /^rovlens: --cam-also: give '<head>:<class>' pairs/],
    ['a --cam-also class the head lacks', () => [SD, '--cam-also', 'floor:waste'], 2, /^rovlens: no class 'waste' in head 'floor'/],
  ])('%s', async (_what, args, code, message) => {
    const run = await runCli(['timeline', ...args(), '--model', model, '-q']);
    expect(run.code).toBe(code);
    expect(run.stderr.trim().split('\n')[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('names the model problem: a missing model, and a card whose output is not in the graph', async () => {
    const missing = await runCli(['timeline', SD, '--model', '/no/model.onnx']);
    expect(missing.code).toBe(5);
    expect(missing.stderr.trim()).toBe('rovlens: model not found: /no/model.onnx');
    const dir = tmpFile('cli-model-mismatch');
    const tiny = writeTinyModel(dir);
    writeFileSync(tiny.cardPath, JSON.stringify({ ...tiny.card, embedding: { output: 'pooled_features', length: 16 } }));
    const mismatch = await runCli(['timeline', SD, '--model', tiny.modelPath]);
    expect(mismatch.code).toBe(5);
    expect(mismatch.stderr.trim()).toMatch(
      /^rovlens: model card field 'embedding.output': 'pooled_features' is not an output of the graph/,
    );
  });

  it('prints help with examples and exit codes', async () => {
    const run = await runCli(['timeline', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Examples:/);
    expect(run.stdout).toMatch(/--keyframes/);
    expect(run.stdout).toMatch(/130 interrupted/);
  });
});

describe('rovlens probe', () => {
  it('describes the SD sample as text and as JSON', async () => {
    const text = await runCli(['probe', SD]);
    expect(text.stdout).toMatch(/resolution\s+720x576/);
    const json = JSON.parse((await runCli(['probe', SD, '--json'])).stdout);
    expect(json).toMatchObject({ codec: 'h264', width: 720, height: 576, fps: 25 });
    expect(json.durationSeconds).toBeCloseTo(10, 1);
    expect(json.keyframeIntervalSeconds).toBeCloseTo(2, 1);
  });
});

function writeBytes(name: string): string {
  const path = tmpFile(name);
  writeFileSync(path, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 104729) % 253)));
  return path;
}
