import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ExitCode, InputError } from '../../src/errors.js';
import {
  buildRunHeader,
  describeRunInput,
  locateInput,
  readRunFile,
  readRuns,
  recordsOf,
  RUN_FORMAT_VERSION,
  runHeaderLine,
} from '../../src/exports/run-file.js';
import { headPrediction } from '../../src/model/predict.js';
import { writeTimeline } from '../../src/sinks/timeline.js';
import { probeVideo } from '../../src/sources/probe.js';
import type { FrameResult } from '../../src/types.js';
import { CODECS, makeClip, tmpFile } from '../helpers/clips.js';
import { solidFrame } from '../helpers/frames.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const card = writeTinyModel(tmpFile('run-file-model')).card;
const clip = makeClip('run-file', { width: 64, height: 48, seconds: 2, fps: 10, codec: CODECS.h264, ext: 'mp4' });

function result(pts: number, sourceId: string): FrameResult {
  return {
    frame: solidFrame(8, 8, [0, 0, 0], { ptsSeconds: pts, index: Math.round(pts * 10), sourceId }),
    heads: {
      floor: headPrediction([0, 4, 0, 0], card.heads.floor!.labels, 0),
      element: headPrediction([0, 0, 0, 3, 0], card.heads.element!.labels, 0),
    },
  };
}

/** A run file as `rovlens timeline --format jsonl` writes it: header, then one record per result. */
async function writeRun(path: string, video: string, times = [0, 1]): Promise<void> {
  const header = buildRunHeader({
    argv: ['timeline', video, '--format', 'jsonl'],
    inputs: [describeRunInput(video, await probeVideo(video, { keyframes: false }))],
    card,
    crop: card.crop,
    sampling: { everySeconds: 1, keyframesOnly: false },
  });
  const results = times.map((t) => result(t, video));
  await lastValueFrom(of(...results).pipe(writeTimeline(path, card, 'jsonl', { runHeader: runHeaderLine(header) })));
}

function refusal(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected a refusal');
}

describe('reading a run file', () => {
  it('reads the header and typed frame records that the timeline writer wrote', async () => {
    const path = tmpFile('run-file/one.jsonl');
    await writeRun(path, clip);
    const run = readRunFile(path);
    expect(run.header.formatVersion).toBe(RUN_FORMAT_VERSION);
    expect(run.header.command).toEqual(['rovlens', 'timeline', clip, '--format', 'jsonl']);
    expect(run.header.model.heads.element).toEqual([...card.heads.element!.labels]);
    const [input] = run.header.inputs;
    expect(input!.probe).toMatchObject({ width: 64, height: 48, fps: 10, codec: 'h264', timeBase: expect.stringMatching(/^1\/\d+$/) });
    expect(input!.sizeBytes).toBeGreaterThan(0);
    expect(input!.identity.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.header.sampling.frameIndexExact).toBe(false);
    expect(recordsOf(run, input!).map((r) => [r.ptsSeconds, r.frameIndex, r.heads.floor!.label])).toEqual([
      [0, 0, 'muddy'],
      [1, 10, 'muddy'],
    ]);
  });

  it('reads every run file of a folder, by name', async () => {
    const dir = tmpFile('run-file/folder');
    rmSync(dir, { recursive: true, force: true });
    await writeRun(join(dir, 'b.jsonl'), clip, [1]);
    await writeRun(join(dir, 'a.jsonl'), clip, [0]);
    writeFileSync(join(dir, 'notes.txt'), 'not a run');
    expect(readRuns(dir).map((r) => r.records[0]!.ptsSeconds)).toEqual([0, 1]);
  });

  it('keeps the records before a last line cut short by an interrupted run', async () => {
    const path = tmpFile('run-file/cut.jsonl');
    await writeRun(path, clip);
    writeFileSync(path, '{"source":"x","frameIn', { flag: 'a' });
    expect(readRunFile(path).records).toHaveLength(2);
  });
});

describe('refusing what is not a run file of this version', () => {
  it('refuses a timeline from an older rovlens (no header) in one line that says what to do', () => {
    const path = tmpFile('run-file/older.jsonl');
    writeFileSync(path, `${JSON.stringify({ source: 'a.mp4', frameIndex: 0, ptsSeconds: 0, timecode: '00:00:00.000', heads: {} })}\n`);
    const error = refusal(() => readRunFile(path));
    expect(error.message).toBe(`${path} was written by an older rovlens (no run header on line 1): run 'rovlens timeline --format jsonl' again to export it`);
    expect(error.exitCode).toBe(ExitCode.inputInvalid);
  });

  it('refuses a newer format version naming both versions', async () => {
    const path = tmpFile('run-file/newer.jsonl');
    await writeRun(path, clip);
    const run = readRunFile(path);
    writeFileSync(path, runHeaderLine({ ...run.header, formatVersion: RUN_FORMAT_VERSION + 1 }));
    expect(refusal(() => readRunFile(path)).message).toMatch(
      new RegExp(`run format ${RUN_FORMAT_VERSION + 1} .*reads up to format ${RUN_FORMAT_VERSION}: update rovlens`),
    );
  });

  it('refuses bytes that are not UTF-8, a missing file and a bad record with the line number', async () => {
    const latin1 = tmpFile('run-file/latin1.jsonl');
    writeFileSync(latin1, Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d, 0x0a]));
    expect(refusal(() => readRunFile(latin1)).message).toBe(`${latin1} is not a run file: it is not UTF-8 text`);
    expect(refusal(() => readRuns(tmpFile('run-file/nowhere.jsonl'))).exitCode).toBe(ExitCode.inputMissing);
    const bad = tmpFile('run-file/bad-record.jsonl');
    await writeRun(bad, clip);
    writeFileSync(bad, '{"source":"x"}\n{"source":"y"}\n', { flag: 'a' });
    expect(refusal(() => readRunFile(bad)).message).toMatch(/bad-record\.jsonl:4: frame record field 'frameIndex'/);
  });
});

describe('finding the videos of a run', () => {
  it('finds a video where it was, and in a folder it moved to, checked by identity', async () => {
    const dir = tmpFile('run-file/moved');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'later'), { recursive: true });
    const video = join(dir, 'plongée 1.mp4');
    copyFileSync(clip, video);
    await writeRun(join(dir, 'run.jsonl'), video);
    const run = readRunFile(join(dir, 'run.jsonl'));
    const input = run.header.inputs[0]!;
    expect(locateInput(run, input)).toBe(video);
    copyFileSync(video, join(dir, 'later', 'plongée 1.mp4'));
    rmSync(video);
    expect(locateInput(run, input, [join(dir, 'later')])).toBe(join(dir, 'later', 'plongée 1.mp4'));
    const missing = refusal(() => locateInput(run, input));
    expect(missing.message).toBe(
      `video not found: ${join(dir, 'run.jsonl')} expects ${video}; pass --videos <folder> where it is now`,
    );
    expect(missing.exitCode).toBe(ExitCode.inputMissing);
    // A name that was not valid UTF-8 reached rovlens with replacement characters: said, since renaming is the cure.
    const lossy = { ...input, absolutePath: join(dir, 'plong\uFFFDe 1.mp4') };
    expect(refusal(() => locateInput(run, lossy)).message).toMatch(/expects .*plong\uFFFDe 1\.mp4 \(its name was not valid UTF-8 when recorded\)/);
    // Another video under the same name is not taken for it.
    writeFileSync(video, 'not the same video');
    expect(refusal(() => locateInput(run, input)).message).toMatch(/is not the video .* was made from/);
  });
});
