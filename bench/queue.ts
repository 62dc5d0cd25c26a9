/**
 * `npm run bench:queue [-- --clips 2 --minutes 1 --long-minutes 2 --chunk-minutes 0.5 --model path]`
 *
 * The archive queue against a single `rovlens timeline` run, measured in the same run on this machine
 * (absolute times drift on a shared machine):
 *   1. a set of clips: one `timeline -o <dir>/` run vs `queue add` + 2 workers + `queue wait`, from
 *      the first command to the last file (worker start-up included): the queue's overhead;
 *   2. one long clip: whole vs in chunks on 2 workers: identical files (checked) and time;
 *   3. on paper, from the measured throughput: hours of 4K per hour for N workers, and where storage
 *      bandwidth stops it (Redis carries a few small writes per chunk).
 * Clips are the bundled 2 s 4K sample looped without re-encoding. Needs redis-server on PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ffmpegPath, ffprobePath } from '../src/sources/binaries.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/rovlens.js');
const { values } = parseArgs({
  options: {
    clips: { type: 'string', default: '2' },
    minutes: { type: 'string', default: '1' },
    'long-minutes': { type: 'string', default: '2' },
    'chunk-minutes': { type: 'string', default: '0.5' },
    model: { type: 'string' },
  },
});
const model = values.model ?? join(root, 'models/rovlens-default.onnx');
if (!existsSync(model)) throw new Error(`no model at ${model}: pass --model`);
const work = join(root, 'bench/out/queue');

function loopedClip(name: string, minutes: number): string {
  mkdirSync(work, { recursive: true });
  const path = join(work, `${name}.mp4`);
  if (!existsSync(path)) {
    const loops = Math.ceil((minutes * 60) / 2) - 1;
    const args = ['-v', 'error', '-y', '-stream_loop', String(loops), '-i', join(root, 'samples/seafloor-4k.mp4'), '-c', 'copy', path];
    const r = spawnSync(ffmpegPath(), args);
    if (r.status !== 0) throw new Error(`could not make ${path}: ${r.stderr}`);
  }
  return path;
}

function rovlens(args: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => (code === 0 ? done(0) : fail(new Error(`rovlens ${args[0]} exited ${code}: ${stderr}`))));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

async function startRedis(): Promise<{ url: string; stop: () => void }> {
  const port = await new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((ready) => child.stdout!.on('data', (d: Buffer) => /Ready to accept/.test(String(d)) && ready()));
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/** queue add + 2 workers + queue wait, from the first command to the last file. */
async function queueRun(redis: string, name: string, inputs: string[], out: string, extra: string[]): Promise<number> {
  rmSync(out, { recursive: true, force: true });
  const workers: ChildProcess[] = [];
  const seconds = await timed(async () => {
    for (let i = 0; i < 2; i++) {
      workers.push(spawn(process.execPath, [bin, 'worker', '--redis', redis, '--queue', name, '-q'], { stdio: 'ignore' }));
    }
    await rovlens(['queue', 'add', ...inputs, '--redis', redis, '--queue', name, '--out', out, '--model', model, ...extra]);
    await rovlens(['queue', 'wait', '--redis', redis, '--queue', name, '-q']);
  });
  for (const w of workers) w.kill('SIGTERM');
  return seconds;
}

function sameFiles(a: string, b: string, names: string[]): boolean {
  return names.every((n) => readFileSync(join(a, n)).equals(readFileSync(join(b, n))));
}

const probe = (path: string) =>
  JSON.parse(
    spawnSync(ffprobePath(), ['-v', 'error', '-show_format', '-print_format', 'json', path], {
      encoding: 'utf8',
    }).stdout || '{}',
  ) as { format?: { bit_rate?: string } };

const clipCount = Number(values.clips);
const minutes = Number(values.minutes);
const longMinutes = Number(values['long-minutes']);
const clips = Array.from({ length: clipCount }, (_, i) => loopedClip(`set-${minutes}min-${i + 1}`, minutes));
const long = loopedClip(`long-${longMinutes}min`, longMinutes);
const redis = await startRedis();
const rows: string[][] = [];
try {
  const wholeSet = await timed(() => rovlens(['timeline', ...clips, '--model', model, '-q', '-o', `${join(work, 'whole-set')}/`]));
  const queuedSet = await queueRun(redis.url, 'set', clips, join(work, 'queued-set'), []);
  const setNames = clips.flatMap((c) => {
    const stem = c
      .split('/')
      .pop()!
      .replace(/\.mp4$/, '');
    return [`${stem}.timeline.csv`, `${stem}.segments.csv`];
  });
  const setSame = sameFiles(join(work, 'whole-set'), join(work, 'queued-set'), setNames);
  const videoSet = clipCount * minutes * 60;
  rows.push([`${clipCount} x ${minutes} min 4K`, 'timeline -o dir/', wholeSet.toFixed(1), (videoSet / wholeSet).toFixed(2), '-', '-']);
  rows.push([
    `${clipCount} x ${minutes} min 4K`,
    'queue add + 2 workers + wait',
    queuedSet.toFixed(1),
    (videoSet / queuedSet).toFixed(2),
    `${(((queuedSet - wholeSet) / wholeSet) * 100).toFixed(1)} %`,
    setSame ? 'yes' : 'NO',
  ]);

  const wholeLong = await timed(() => rovlens(['timeline', long, '--model', model, '-q', '-o', `${join(work, 'whole-long')}/`]));
  const chunked = await queueRun(redis.url, 'long', [long], join(work, 'queued-long'), ['--chunk-minutes', values['chunk-minutes']!]);
  const stem = `long-${longMinutes}min`;
  const longSame = sameFiles(join(work, 'whole-long'), join(work, 'queued-long'), [`${stem}.timeline.csv`, `${stem}.segments.csv`]);
  const videoLong = longMinutes * 60;
  rows.push([`1 x ${longMinutes} min 4K`, 'timeline (whole)', wholeLong.toFixed(1), (videoLong / wholeLong).toFixed(2), '-', '-']);
  rows.push([
    `1 x ${longMinutes} min 4K`,
    `${values['chunk-minutes']} min chunks, 2 workers`,
    chunked.toFixed(1),
    (videoLong / chunked).toFixed(2),
    `${(((chunked - wholeLong) / wholeLong) * 100).toFixed(1)} %`,
    longSame ? 'yes' : 'NO',
  ]);

  console.log(`| input | run | wall s | video s per wall s | vs single run | files identical |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);

  // On paper: a worker machine like this one processes `perWorker` seconds of 4K per second.
  const perWorker = videoSet / wholeSet;
  const bitRate = Number(probe(clips[0]!).format?.bit_rate ?? 0);
  const readMBps = (bitRate / 8 / 1e6) * perWorker;
  const linkMBps = 1e9 / 8 / 1e6;
  console.log(
    `\nper worker (one machine like this, default sampling): ${perWorker.toFixed(2)} s of 4K per s = ${perWorker.toFixed(2)} h of 4K per hour`,
  );
  console.log(
    `reads the sample's ${(bitRate / 1e6).toFixed(1)} Mb/s at ${readMBps.toFixed(2)} MB/s per worker (file ${(statSync(clips[0]!).size / 1e6).toFixed(0)} MB)`,
  );
  for (const n of [1, 4, 16, 64])
    console.log(`  ${n} workers: ${(n * perWorker).toFixed(1)} h of 4K per hour, ${(n * readMBps).toFixed(1)} MB/s from storage`);
  console.log(
    `a 1 Gb/s share (${linkMBps.toFixed(0)} MB/s) saturates at about ${Math.floor(linkMBps / readMBps)} workers at this bit rate`,
  );
  console.log(
    `Redis: per chunk one flow entry, a lock renewal every lock/2 s, a progress write per percent: hundreds of ops per chunk-hour`,
  );
} finally {
  redis.stop();
}
