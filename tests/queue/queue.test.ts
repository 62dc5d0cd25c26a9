/**
 * The archive queue as users run it: a real redis-server, `rovlens queue add`, workers as separate
 * processes, `rovlens queue wait`; merged files compared byte for byte with one `rovlens timeline`
 * run. Faults are real: a worker SIGKILLed mid-chunk, Redis restarted mid-run, Ctrl-C on a worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { ffmpeg, TMP } from '../helpers/clips.js';
import { redisAvailable, TestRedis } from '../helpers/redis.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const ROOT = join(TMP, 'queue');
const MIXED_OUTPUTS = ['mixed.timeline.csv', 'mixed.segments.csv'];
const OUTPUTS = [...MIXED_OUTPUTS, 'small.timeline.csv', 'small.segments.csv'];
const hasRedis = redisAvailable();
if (!hasRedis) console.warn('tests/queue: redis-server not found (apt-get install redis-server); the queue tests are skipped');

/**
 * 50 s at 10 fps: scenes that change every 3 s up to 25 s, then one still scene to the end. With 20 s
 * chunks the cut at 20 s has scene changes in its warm-up (the chunks join there); the cut at 40 s
 * lies in the still scene (the merge runs that chunk again from where the scene began).
 */
function makeMixedClip(path: string): void {
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=10:duration=25',
    '-f',
    'lavfi',
    '-i',
    'color=c=0x336699:size=160x120:rate=10:duration=25',
    '-filter_complex',
    "[0]negate=enable='lt(mod(t,6),3)'[a];[a][1]concat=n=2:v=1:a=0",
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '10',
    path,
  ]);
}

interface RunningWorker {
  child: ChildProcess;
  log: () => string;
  /** Resolves when the worker's log matches. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  exited: Promise<number | null>;
}

function startWorker(redis: string, queue: string, extra: string[] = []): RunningWorker {
  const child = spawn(process.execPath, [BIN, 'worker', '--redis', redis, '--queue', queue, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const waiters: { pattern: RegExp; done: () => void }[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    log += d;
    for (const w of [...waiters]) if (w.pattern.test(log)) (waiters.splice(waiters.indexOf(w), 1), w.done());
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    log: () => log,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((done, fail) => {
        if (pattern.test(log)) return done();
        const timer = setTimeout(() => fail(new Error(`worker log never matched ${pattern}:\n${log}`)), timeoutMs);
        waiters.push({ pattern, done: () => (clearTimeout(timer), done()) });
      }),
  };
}

const CHUNK_START = /chunk-\d+: \S+ [\d.]+-(end|[\d.]+) s\n/;

describe.skipIf(!hasRedis)('rovlens queue and worker (real Redis, spawned as users run them)', () => {
  let redis: TestRedis;
  let model: string;
  let mixed: string;
  let small: string;
  const workers: RunningWorker[] = [];
  const worker = (queue: string, extra: string[] = []) => {
    const w = startWorker(redis.url, queue, ['--lock-seconds', '2', ...extra]);
    workers.push(w);
    return w;
  };
  const timelineFlags = () => ['--model', model, '--every', '1'];
  const add = (queue: string, out: string, inputs: string[], extra: string[] = []) =>
    runCli([
      'queue',
      'add',
      ...inputs,
      '--redis',
      redis.url,
      '--queue',
      queue,
      '--out',
      out,
      '--chunk-minutes',
      '0.3333',
      '--warmup',
      '4',
      ...timelineFlags(),
      ...extra,
    ]);
  const expectSameAsOneRun = (out: string, files = OUTPUTS) => {
    for (const file of files) expect(readFileSync(join(out, file)), file).toEqual(readFileSync(join(ROOT, 'whole', file)));
  };

  beforeAll(async () => {
    rmSync(ROOT, { recursive: true, force: true });
    mkdirSync(ROOT, { recursive: true });
    // A password, as a shared Redis has: every command passes it through from the URL.
    redis = await TestRedis.start(join(ROOT, 'redis'), 'reef-survey-secret');
    model = writeTinyModel(join(ROOT, 'model')).modelPath;
    mixed = join(ROOT, 'mixed.mp4');
    small = join(ROOT, 'small.mp4');
    makeMixedClip(mixed);
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=10:duration=8',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      small,
    ]);
    const whole = await runCli(['timeline', mixed, small, '-o', join(ROOT, 'whole') + '/', '-q', ...timelineFlags()]);
    expect(whole.code, whole.stderr).toBe(0);
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await redis?.stop();
  });

  it('merges chunks run by two workers into files byte-identical to one timeline run; a corrupt recording fails with its reason', async () => {
    const out = join(ROOT, 'out-main');
    const corrupt = join(ROOT, 'corrupt.mp4');
    writeFileSync(corrupt, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)));
    const added = await add('main', out, [mixed, small, corrupt], ['--attempts', '2']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toMatch(/mixed\.mp4: queued in 3 chunks/);
    // Two workers with a 2 s lock on a machine they load fully: no chunk may be taken as stalled.
    const [a, b] = [worker('main'), worker('main')];
    const wait = await runCli(['queue', 'wait', '--redis', redis.url, '--queue', 'main']);
    expect(wait.code, wait.stderr).toBe(9);
    expect(wait.stderr).toMatch(/failed: .*corrupt\.mp4: chunk 0: cannot read .* as video.*\(after 2 attempts\)/);
    expectSameAsOneRun(out);
    const logs = a.log() + b.log();
    const mixedKey = /(\w+)-chunk-\d+: \S+mixed\.mp4/.exec(logs)![1];
    expect(logs.match(new RegExp(`${mixedKey}-chunk-\\d+: \\S+ `, 'g'))).toHaveLength(3);
    // One cut joined inside its warm-up, the other (in the still scene) was run again from where the scene began.
    expect(logs).toMatch(/mixed\.mp4: 50 rows -> .* \(1 chunks run again to join\)/);

    const status = await runCli(['queue', 'status', '--redis', redis.url, '--queue', 'main', '--json']);
    const byInput = Object.fromEntries(
      (JSON.parse(status.stdout) as { input: string; state: string; percent: number; failures: string[] }[]).map((s) => [s.input, s]),
    );
    expect(byInput[mixed]).toMatchObject({ state: 'done', percent: 100, failures: [] });
    expect(byInput[corrupt]!.state).toBe('failed');
    expect(byInput[corrupt]!.failures[0]).toMatch(/Invalid data found when processing input/);
    // Finished work leaves no chunk files; adding the same recordings again adds nothing.
    expect(existsSync(join(out, '.rovlens-queue', mixedKey!))).toBe(false);
    const again = await add('main', out, [mixed, small], ['--attempts', '2']);
    expect(again.stderr).toMatch(/0 recordings queued \(0 chunks\), 2 already there/);
    // A wrong password is one line, exit 8, and the password is not shown.
    const denied = await runCli(['queue', 'status', '--redis', redis.url.replace('reef-survey-secret', 'wrong-secret'), '--queue', 'main']);
    expect(denied.code).toBe(8);
    expect(denied.stderr).toMatch(/^rovlens: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*\n$/);
    expect(denied.stderr).not.toMatch(/wrong-secret/);
  });

  it('finishes with no row lost or doubled when a worker is SIGKILLed mid-chunk and Redis restarts mid-run', async () => {
    const out = join(ROOT, 'out-faults');
    expect((await add('faults', out, [mixed])).code).toBe(0);
    const doomed = worker('faults');
    await doomed.waitFor(CHUNK_START);
    doomed.child.kill('SIGKILL');
    const survivor = worker('faults');
    const wait = runCli(['queue', 'wait', '--redis', redis.url, '--queue', 'faults']);
    await survivor.waitFor(CHUNK_START);
    await redis.restart(1000);
    const waited = await wait;
    expect(waited.code, waited.stderr + survivor.log()).toBe(0);
    expect(survivor.log()).toMatch(/lost Redis/);
    expectSameAsOneRun(out, MIXED_OUTPUTS);
  });

  it('on Ctrl-C a worker finishes its chunk and stops; on a second Ctrl-C it gives the chunk back to the queue', async () => {
    const out = join(ROOT, 'out-ctrlc');
    expect((await add('ctrlc', out, [mixed])).code).toBe(0);
    const first = worker('ctrlc');
    await first.waitFor(CHUNK_START);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.log()).toMatch(/finishing the current chunks/);
    expect(first.log()).not.toMatch(/failed/);

    const second = worker('ctrlc');
    await second.waitFor(CHUNK_START);
    second.child.kill('SIGINT');
    await new Promise((wait) => setTimeout(wait, 100));
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(second.log()).toMatch(/given back to the queue/);
    const status = JSON.parse((await runCli(['queue', 'status', '--redis', redis.url, '--queue', 'ctrlc', '--json'])).stdout) as {
      failures: string[];
    }[];
    expect(status.flatMap((s) => s.failures)).toEqual([]);

    worker('ctrlc');
    expect((await runCli(['queue', 'wait', '--redis', redis.url, '--queue', 'ctrlc'])).code).toBe(0);
    expectSameAsOneRun(out, MIXED_OUTPUTS);
  });
});
