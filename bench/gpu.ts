/**
 * `npm run bench:gpu [-- --out gpu-check.json --seconds 10]`, or scripts/gpu-check.sh on a GPU machine.
 *
 * The GPU path, measured against the CPU in the same run (absolute times drift; ratios less):
 *   1. which ONNX Runtime execution providers load (cpu, cuda, webgpu), and why the others do not;
 *   2. model latency and throughput at batch 1, 8 and 32, at 224 and 512 px, on each that loaded;
 *   3. ffmpeg decoding a 4K H.264 and a 4K HEVC clip, software vs NVDEC (with an ffmpeg that has it);
 *   4. the whole `rovlens timeline` on the 4K clip, every frame and one frame a second, CPU vs GPU.
 * Prints a table and writes everything as JSON. What cannot be measured here is said, not skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelSession, type Device } from '../src/model/session.js';
import { ffmpegPath } from '../src/sources/binaries.js';
import { chooseHwaccel } from '../src/sources/hwaccel.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'bench/out/gpu-check.json') },
    model: { type: 'string', default: join(root, 'models/rovlens-default.onnx') },
    seconds: { type: 'string', default: '10' },
    batches: { type: 'string', default: '1,8,32' },
    sizes: { type: 'string', default: '224,512' },
    'budget-seconds': { type: 'string', default: '4' },
    bin: { type: 'string', default: join(root, 'bin/rovlens.js') },
  },
});
const clipSeconds = Number(values.seconds);
const budgetMs = Number(values['budget-seconds']) * 1000;
// A GPU machine may have no ffmpeg at all (the npm one is not carried there): then only the model is measured.
const ffmpeg = (() => {
  try {
    return ffmpegPath();
  } catch {
    return undefined;
  }
})();
const report: Record<string, unknown> = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, gpu: nvidiaSmi() },
  ffmpeg: ffmpeg ?? 'none: set FFMPEG_PATH and FFPROBE_PATH to measure decoding and the timeline',
};

function nvidiaSmi(): string {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'no nvidia-smi';
}

// 1. Providers.
const providers: { device: Device; loaded: boolean; note: string }[] = [];
const sessions = new Map<Device, ModelSession>();
for (const device of ['cpu', 'cuda', 'webgpu'] as const) {
  const notes: string[] = [];
  const session = await ModelSession.open(values.model, { device, notice: (line) => notes.push(line) });
  const loaded = session.device === device;
  providers.push({ device, loaded, note: notes.join(' ') });
  if (loaded) sessions.set(device, session);
  else await session.close();
}
report.providers = providers;

// 2. Inference. The graph's spatial size is dynamic (a pooled head), so 512 px runs the same model.
interface InferenceRow {
  device: Device;
  sizePx: number;
  batch: number;
  runs: number;
  msPerBatchMedian?: number;
  framesPerSecond?: number;
  error?: string;
}
const inference: InferenceRow[] = [];
for (const [device, session] of sessions) {
  for (const sizePx of values.sizes.split(',').map(Number)) {
    for (const batch of values.batches.split(',').map(Number)) {
      const dims: [number, number, number, number] = [batch, 3, sizePx, sizePx];
      const input = new Float32Array(batch * 3 * sizePx * sizePx).map((_, i) => ((i * 2654435761) % 1000) / 1000);
      try {
        for (let i = 0; i < 3; i++) await session.run(input, dims); // warm-up: kernels, allocations, autotuning
        const times: number[] = [];
        const started = performance.now();
        while (times.length < 5 || (performance.now() - started < budgetMs && times.length < 200)) {
          const t = performance.now();
          await session.run(input, dims);
          times.push(performance.now() - t);
        }
        times.sort((a, b) => a - b);
        const median = times[Math.floor(times.length / 2)]!;
        inference.push({ device, sizePx, batch, runs: times.length, msPerBatchMedian: median, framesPerSecond: (1000 * batch) / median });
      } catch (error) {
        inference.push({ device, sizePx, batch, runs: 0, error: String(error).split('\n')[0] });
      }
    }
  }
}
for (const session of sessions.values()) await session.close();
report.inference = inference;

const decoding: Record<string, unknown>[] = [];
const timeline: Record<string, unknown>[] = [];
if (ffmpeg) await measureVideo(ffmpeg);
report.decoding = decoding;
report.timeline = timeline;

/** Sections 3 and 4: they need an ffmpeg (and ffprobe) on this machine. */
async function measureVideo(ffmpeg: string): Promise<void> {
  // 3. Decoding. Clips are made once with this ffmpeg (testsrc2 moves, so nothing is static).
  const out = dirname(values.out);
  mkdirSync(out, { recursive: true });
  const clips: Record<string, string> = {};
  for (const [codec, encoder] of [
    ['h264', ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']],
    ['hevc', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p']],
  ] as const) {
    const path = join(out, `gpu-check-4k-${clipSeconds}s.${codec}.mp4`);
    if (!existsSync(path)) {
      const r = spawnSync(
        ffmpeg,
        ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=3840x2160:rate=30:duration=${clipSeconds}`, ...encoder, path],
        {
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) {
        report[`clip_${codec}`] = `could not encode: ${r.stderr.split('\n')[0]}`;
        continue;
      }
    }
    clips[codec] = path;
  }

  function timed(command: string, args: string[]): Promise<{ seconds: number; ok: boolean; stderr: string }> {
    return new Promise((done) => {
      const started = performance.now();
      const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
      child.on('close', (code) => done({ seconds: (performance.now() - started) / 1000, ok: code === 0, stderr }));
    });
  }

  const frames = clipSeconds * 30;
  for (const [codec, clip] of Object.entries(clips)) {
    const software = await timed(ffmpeg, ['-v', 'error', '-i', clip, '-f', 'null', '-']);
    decoding.push({
      codec,
      decoder: 'software',
      fps: software.ok ? frames / software.seconds : undefined,
      error: software.ok ? undefined : software.stderr,
    });
    const choice = await chooseHwaccel('cuda', codec);
    if (!choice.decoder) {
      decoding.push({ codec, decoder: 'nvdec', error: choice.reason });
      continue;
    }
    for (const [label, extra] of [
      ['nvdec', []],
      ['nvdec, resize 224 in the decoder', ['-resize', '224x224']],
    ] as const) {
      const run = await timed(ffmpeg, ['-v', 'error', '-c:v', choice.decoder, ...extra, '-i', clip, '-f', 'null', '-']);
      decoding.push({ codec, decoder: label, fps: run.ok ? frames / run.seconds : undefined, error: run.ok ? undefined : run.stderr });
    }
  }

  // 4. The whole timeline, as a user runs it.
  if (clips.h264) {
    for (const every of ['0', '1']) {
      const rows: Record<string, number | string | undefined> = { every };
      // Alternated, twice each, the faster kept: the first run of all also warms the file cache.
      for (let round = 0; round < 2; round++) {
        for (const [side, flags] of [
          ['cpu', ['--device', 'cpu', '--hwaccel', 'none']],
          ['gpu', ['--device', 'auto', '--hwaccel', 'auto']],
        ] as const) {
          const csv = join(out, `gpu-check-timeline-${side}-every${every}.csv`);
          const run = await timed(process.execPath, [values.bin, 'timeline', clips.h264, '--every', every, '-q', '-o', csv, ...flags]);
          const key = `${side}Seconds`;
          if (run.ok) rows[key] = Math.min(run.seconds, (rows[key] as number | undefined) ?? Infinity);
          else rows[`${side}Error`] = run.stderr.split('\n').slice(-3).join(' ');
          if (run.ok && side === 'gpu') rows.gpuNotes = run.stderr.trim();
        }
      }
      if (typeof rows.cpuSeconds === 'number' && typeof rows.gpuSeconds === 'number') rows.speedup = rows.cpuSeconds / rows.gpuSeconds;
      timeline.push(rows);
    }
  }
}
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);

// The table.
const f = (v: unknown, digits = 1) => (typeof v === 'number' ? v.toFixed(digits) : '-');
console.log(`machine: ${(report.machine as { gpu: string }).gpu}; ${cpus().length} cores; ffmpeg ${ffmpeg ?? 'none'}`);
console.log('\n| provider | loaded | note |\n|---|---|---|');
for (const p of providers) console.log(`| ${p.device} | ${p.loaded ? 'yes' : 'no'} | ${p.note || '-'} |`);
console.log('\n| device | size | batch | ms/batch | frames/s | x cpu |\n|---|---|---|---|---|---|');
for (const r of inference) {
  const cpu = inference.find((c) => c.device === 'cpu' && c.sizePx === r.sizePx && c.batch === r.batch);
  const ratio = r.framesPerSecond && cpu?.framesPerSecond ? r.framesPerSecond / cpu.framesPerSecond : undefined;
  console.log(
    `| ${r.device} | ${r.sizePx} | ${r.batch} | ${f(r.msPerBatchMedian, 2)} | ${f(r.framesPerSecond)} | ${f(ratio, 2)} |${r.error ? ` ${r.error}` : ''}`,
  );
}
console.log(`\n| 4K codec | decoder | frames/s |\n|---|---|---|`);
for (const d of decoding) console.log(`| ${d.codec} | ${d.decoder} | ${f(d.fps)} |${d.error ? ` ${String(d.error).split('\n')[0]}` : ''}`);
console.log(`\n| timeline on 4K H.264 (${clipSeconds} s) | cpu s | gpu s | speed-up |\n|---|---|---|---|`);
for (const t of timeline) {
  console.log(
    `| ${t.every === '0' ? 'every frame' : 'one frame a second'} | ${f(t.cpuSeconds)} | ${f(t.gpuSeconds)} | ${f(t.speedup, 2)} |`,
  );
}
for (const t of timeline) if (t.gpuNotes) console.log(`gpu run said: ${t.gpuNotes}`);
console.log(`\nJSON: ${values.out}`);
