/**
 * Start-up overlapped: the pipeline is subscribed (ffmpeg decodes) before the model's session is
 * created, in the shared helper and in the annotate and live runners that use it; a model that cannot
 * load still stops the run with exit 5, before any output, and leaves no ffmpeg behind.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Observable, Subject, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseLiveOptions } from '../../src/config/live.js';
import { parseAnnotateOptions } from '../../src/commands/annotate.js';
import { ExitCode, ModelError } from '../../src/errors.js';
import { ModelSession } from '../../src/model/session.js';
import { runAnnotate } from '../../src/runners/annotate.js';
import { runLive } from '../../src/runners/live.js';
import { startBeforeLoad } from '../../src/runners/start-up.js';
import { makeClip, CODECS, tmpFile } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

// What happened, in order: ffmpeg running (every decoder's onStart) and the session asked for.
const events = vi.hoisted(() => [] as string[]);
vi.mock('../../src/sources/ffmpeg.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/sources/ffmpeg.js')>();
  return {
    ...original,
    decodeVideo: (input: string, options: Parameters<typeof original.decodeVideo>[1] = {}) =>
      original.decodeVideo(input, { ...options, onStart: () => (events.push('ffmpeg runs'), options.onStart?.()) }),
  };
});

const never = new Promise<void>(() => undefined);

/** A model stand-in: its session is asked for through `load`, as the pipeline's infer stage does. */
function fakeModel(load: () => Promise<void> = async () => undefined) {
  let requested!: () => void;
  const loadRequested = new Promise<void>((resolve) => (requested = resolve));
  return {
    loadRequested,
    load: vi.fn(() => (events.push('session'), requested(), load())),
  };
}

/** ffmpeg processes that are children of this test process. */
function ffmpegChildren(): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
        return ppid === process.pid && /ffmpeg/.test(cmdline) ? [cmdline] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  events.length = 0;
  vi.restoreAllMocks();
});

describe('startBeforeLoad', () => {
  it('subscribes first, creates the session once decoding runs, and hands on what arrived meanwhile', async () => {
    const source = new Subject<number>();
    let decodeRuns!: () => void;
    const decodeStarted = new Promise<void>((resolve) => (decodeRuns = resolve));
    const model = fakeModel();
    const starting = startBeforeLoad(source, model, decodeStarted);
    source.next(1);
    events.push('ffmpeg runs');
    decodeRuns();
    const { output } = await starting;
    source.next(2);
    expect(events).toEqual(['ffmpeg runs', 'session']);
    const all = lastValueFrom(output.pipe(toArray()));
    source.next(3);
    source.complete();
    expect(await all).toEqual([1, 2, 3]);
  });

  it('creates the session when the pipeline asks for it, or ends, before decoding is said to run', async () => {
    const model = fakeModel();
    const { output } = await startBeforeLoad(new Observable<number>((s) => (s.next(7), s.complete())), model, never);
    expect(model.load).toHaveBeenCalledTimes(1);
    expect(await lastValueFrom(output)).toBe(7);
  });

  it('stops the pipeline and rejects when the model cannot load', async () => {
    let stopped = false;
    const pipeline = new Observable<number>(() => () => (stopped = true));
    const model = fakeModel(() => Promise.reject(new ModelError('cannot load tiny.onnx')));
    await expect(startBeforeLoad(pipeline, model, Promise.resolve())).rejects.toThrow(/cannot load tiny\.onnx/);
    expect(stopped).toBe(true);
  });

  it('stops the pipeline when it is cancelled or its output unsubscribed', async () => {
    const stops: string[] = [];
    const pipeline = (name: string) => new Observable<number>(() => () => stops.push(name));
    const cancelled = await startBeforeLoad(pipeline('cancelled'), fakeModel(), Promise.resolve());
    cancelled.cancel();
    const taken = await startBeforeLoad(pipeline('taken'), fakeModel(), Promise.resolve());
    taken.output.subscribe().unsubscribe();
    expect(stops).toEqual(['cancelled', 'taken']);
  });
});

describe('the annotate and live runners', () => {
  const clip = makeClip('start-up', { width: 320, height: 240, seconds: 2, fps: 10, codec: CODECS.h264, ext: 'mp4' });
  const tiny = writeTinyModel(tmpFile('start-up-model'));
  /** The tiny model with a card that names an output its graph lacks: it fails when its session is created. */
  const mismatched = () => {
    const model = writeTinyModel(tmpFile('start-up-mismatch'));
    writeFileSync(model.cardPath, JSON.stringify({ ...model.card, embedding: { output: 'pooled_features', length: 16 } }));
    return model.modelPath;
  };
  const liveOptions = (model: string) => parseLiveOptions({ server: { port: 0 }, source: {}, pipeline: { model } });
  const quietly = { notice: () => undefined, handleSignals: false };
  const spyOnSessions = () => {
    const load = ModelSession.prototype.load;
    vi.spyOn(ModelSession.prototype, 'load').mockImplementation(function (this: ModelSession) {
      events.push('session');
      return load.call(this);
    });
  };

  it('annotate starts ffmpeg before it creates the session', async () => {
    spyOnSessions();
    const out = `${tmpFile('start-up-annotate')}/`;
    expect(await runAnnotate(clip, parseAnnotateOptions({ output: out, model: tiny.modelPath, every: '0.5', quiet: true }))).toBe(
      ExitCode.ok,
    );
    expect(events.slice(0, 2)).toEqual(['ffmpeg runs', 'session']);
    expect(readdirSync(out).filter((f) => f.endsWith('.jpg'))).toHaveLength(4);
  });

  it('live starts ffmpeg on a file before it creates the session', async () => {
    spyOnSessions();
    const summary = await runLive(clip, liveOptions(tiny.modelPath), quietly);
    expect(summary.exitCode).toBe(ExitCode.ok);
    expect(summary.processed).toBeGreaterThan(0);
    expect(events.slice(0, 2)).toEqual(['ffmpeg runs', 'session']);
  });

  it('annotate stops with exit 5, no output and no ffmpeg left when the model cannot load', async () => {
    const out = tmpFile('start-up-annotate-mismatch.mp4');
    const error = await runAnnotate(clip, parseAnnotateOptions({ output: out, model: mismatched(), quiet: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).exitCode).toBe(ExitCode.model);
    expect(events[0]).toBe('ffmpeg runs');
    expect(existsSync(out)).toBe(false);
    await settle(200);
    expect(ffmpegChildren()).toEqual([]);
  });

  it('live stops with exit 5, before the port opens and with no ffmpeg left, when the model cannot load', async () => {
    const listening = vi.fn();
    const error = await runLive(clip, liveOptions(mismatched()), { ...quietly, onListening: listening }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).exitCode).toBe(ExitCode.model);
    expect(events[0]).toBe('ffmpeg runs');
    expect(listening).not.toHaveBeenCalled();
    await settle(200);
    expect(ffmpegChildren()).toEqual([]);
  });
});
