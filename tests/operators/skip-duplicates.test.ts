import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bufferCount,
  concatMap,
  delay,
  from,
  lastValueFrom,
  map,
  mergeMap,
  of,
  throwError,
  toArray,
  concat,
  type OperatorFunction,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSession } from '../../src/model/session.js';
import { infer } from '../../src/operators/infer.js';
import { skipDuplicates, type SkipStats } from '../../src/operators/skip-duplicates.js';
import type { Frame, FrameResult } from '../../src/types.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { sceneFrame, type Scene } from '../similarity/scene-frames.js';

/** A stand-in model stage that labels each frame by its index, so a test can see which result was copied. */
const fakeResult = (frame: Frame): FrameResult => ({ frame, heads: {}, inferenceMs: frame.index });
const seen: number[] = [];
const fakeInfer: OperatorFunction<Frame, FrameResult> = map((frame) => (seen.push(frame.index), fakeResult(frame)));

const scenes: Record<string, Scene> = { a: 'rising', b: 'falling', c: 'stripes' };
const frames = (letters: string, sourceId = 'clip') =>
  [...letters].map((l, index) => sceneFrame(scenes[l]!, { index, sourceId, ptsSeconds: index }));
const run = async (input: Frame[], options = {}, stage = fakeInfer) =>
  lastValueFrom(from(input).pipe(skipDuplicates(options, stage), toArray()));

describe('skipDuplicates', () => {
  it('sends only frames that differ from the last inferred frame to the model and copies its result to the others', async () => {
    seen.length = 0;
    const stats: SkipStats = { frames: 0, inferred: 0, reused: 0 };
    const out = await run(frames('aaabba'), { stats });
    expect(seen).toEqual([0, 3, 5]);
    expect(out.map((r) => r.frame.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.map((r) => r.inferenceMs)).toEqual([0, 0, 0, 3, 3, 5]);
    expect(out.map((r) => r.group?.reused)).toEqual([false, true, true, false, true, false]);
    expect(out.map((r) => r.group?.duplicateOf)).toEqual([undefined, 0, 0, undefined, 3, undefined]);
    expect(out.map((r) => r.group?.groupId)).toEqual([0, 0, 0, 1, 1, 2]);
    expect(stats).toEqual({ frames: 6, inferred: 3, reused: 3 });
  });

  it('keeps frame order when the model answers in delayed batches', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const byLetter = { a: frames('a')[0]!, b: frames('b')[0]!, c: frames('c')[0]! };
      let index = 0;
      const source = cold('-a-a-b-c-c|', byLetter).pipe(map((f) => ({ ...f, index: index++ })));
      // Batches of two, answered 5 frames of time later; the last lone frame is flushed on completion.
      const batched: OperatorFunction<Frame, FrameResult> = (frames$) =>
        frames$.pipe(
          bufferCount(2),
          concatMap((batch) => of(batch.map(fakeResult)).pipe(delay(5))),
          mergeMap((results) => from(results)),
        );
      const out = source.pipe(
        skipDuplicates({}, batched),
        map((r) => `${r.frame.index}${r.group!.reused ? 'r' : 'i'}`),
      );
      // Frames 0 and 2 form the first batch (answered at 10); 3 waits for the flush at completion (10) and
      // is answered at 15, with its reuse 4 right behind it. (A group of n values spans n + 2 frames of time.)
      expectObservable(out).toBe('----------(abc)(de|)', { a: '0i', b: '1r', c: '2i', d: '3i', e: '4r' });
    });
  });

  it('runs the model again after maxReuseFrames reuses in a row', async () => {
    seen.length = 0;
    await run(frames('aaaaaaa'), { maxReuseFrames: 2 });
    expect(seen).toEqual([0, 3, 6]);
  });

  it('infers every frame when disabled but still hashes them', async () => {
    seen.length = 0;
    const out = await run(frames('aaa'), { enabled: false, hash: 'dhash' });
    expect(seen).toEqual([0, 1, 2]);
    expect(out.every((r) => r.group?.hash === 'ffffffffffffffff')).toBe(true);
  });

  it('never reuses a result across sources', async () => {
    seen.length = 0;
    await run([...frames('aa', 'one'), ...frames('aa', 'two')]);
    expect(seen).toEqual([0, 0]);
  });

  it('delivers results for frames decoded before a source error, then the error', async () => {
    const failing = concat(
      from(frames('ab')),
      throwError(() => new Error('truncated')),
    );
    const got: number[] = [];
    await expect(
      lastValueFrom(
        failing.pipe(
          skipDuplicates({}, fakeInfer),
          map((r) => got.push(r.frame.index)),
        ),
      ),
    ).rejects.toThrow('truncated');
    expect(got).toEqual([0, 1]);
  });

  it('fails clearly when the model stage drops a frame', async () => {
    const dropping: OperatorFunction<Frame, FrameResult> = (s) =>
      s.pipe(
        bufferCount(2),
        map((b) => fakeResult(b[0]!)),
      );
    await expect(run(frames('abc'), {}, dropping)).rejects.toThrow(/completed with 1 frames unanswered/);
  });
});

describe('skipDuplicates with ONNX Runtime', () => {
  let dir: string;
  let model: ModelSession;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rovlens-skip-'));
    model = await ModelSession.open(writeTinyModel(dir).modelPath);
  });
  afterAll(async () => {
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives reused frames the same predictions the model gives their source frame', async () => {
    const input = [...'aabbbc'].map((l, index) => sceneFrame(scenes[l]!, { index }, 64));
    const stats: SkipStats = { frames: 0, inferred: 0, reused: 0 };
    const skipped = await run(input, { stats }, infer(model, { batchSize: 2 }));
    const full = await lastValueFrom(from(input).pipe(infer(model, { batchSize: 2 }), toArray()));
    expect(stats.inferred).toBe(3);
    skipped.forEach((r, i) => {
      const source = r.group!.reused ? r.group!.duplicateOf! : i;
      expect(r.heads.floor!.label).toBe(full[source]!.heads.floor!.label);
      expect(Array.from(r.embedding!)).toEqual(Array.from(full[source]!.embedding!));
    });
  });
});
