/**
 * `npm run bench:live [-- --seconds 120 --model path --overlay server|page --display-width 960]`
 *
 * `rovlens live` on a 1080p30 H.264 clip played in real time (a camera, looped), with one WebSocket
 * viewer reading everything, for `--seconds` (default 120). Viewers get the whole frame at
 * `--display-width`; the model gets its crop cut from that picture. Reports decode-to-send latency p50/p95,
 * processed frames/s, the dropped fraction and RSS over time, against a baseline measured in the
 * same run: the same source decoded and scaled to the display width by ffmpeg in real time with no
 * model (what the feed delivers).
 *
 * The clip is made once under bench/out/: from the development clip p6_crab_1080p.mp4 (real seabed,
 * 15 fps, converted to 30 fps) when the shared data is there, else from ffmpeg's testsrc2 with noise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { filter, firstValueFrom, map, reduce, takeUntil, timer } from 'rxjs';
import { livePipelineSchema, parseLiveOptions } from '../src/config/live.js';
import { runLive } from '../src/runners/live.js';
import { percentile } from '../src/live/stats.js';
import { loadModelCard } from '../src/model/card.js';
import { ffmpegPath } from '../src/sources/binaries.js';
import { liveSource, type LiveEvent } from '../src/sources/live.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    baselineSeconds: { type: 'string', default: '20' },
    model: { type: 'string', default: join(root, 'models/rovlens-default.onnx') },
    overlay: { type: 'string', default: 'server' },
    displayWidth: { type: 'string', default: String(livePipelineSchema.shape.displayWidth.parse(undefined)) },
  },
});
const seconds = Number(values.seconds);
const baselineSeconds = Number(values.baselineSeconds);
const overlay = values.overlay === 'page' ? 'page' : 'server';
const displayWidth = Number(values.displayWidth);

function clip(): string {
  const dir = join(root, 'bench/out');
  mkdirSync(dir, { recursive: true });
  const real = resolve(process.env.ROVLENS_DATA ?? resolve(root, '../shared/data'), 'clips/p6_crab_1080p.mp4');
  const source = existsSync(real) ? 'p6_crab' : 'testsrc2';
  const path = join(dir, `live-1080p30-${source}.mp4`);
  if (!existsSync(path)) {
    const input =
      source === 'p6_crab'
        ? ['-i', real, '-vf', 'fps=30']
        : ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=15', '-vf', 'noise=alls=10:allf=t'];
    const r = spawnSync(ffmpegPath(), [
      '-v',
      'error',
      '-y',
      ...input,
      '-an',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      '30',
      '-pix_fmt',
      'yuv420p',
      path,
    ]);
    if (r.status !== 0) throw new Error(`could not make ${path}: ${r.stderr}`);
  }
  return path;
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const ms = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : x.toFixed(0));

const input = clip();
const card = loadModelCard(values.model).card;
const sourceOptions = { realtime: true, inputOptions: ['-stream_loop', '-1'] };
console.log(
  `clip ${input}, model ${card.name} (${card.input.width}x${card.input.height}), overlay ${overlay}, display width ${displayWidth}, ${seconds} s live + ${baselineSeconds} s baseline`,
);

// Baseline: the feed alone (ffmpeg decode + scale to the display width in real time), consumed at once.
const options = parseLiveOptions({ source: sourceOptions });
const started = Date.now();
// Only the count and the first and last decode times are kept: holding 20 s of display-sized frames
// (about 1.5 MB each) would inflate the RSS the live run is compared with.
const decoded = await firstValueFrom(
  liveSource(input, options.source, { fitWidth: displayWidth }).pipe(
    filter((e): e is Extract<LiveEvent, { type: 'frame' }> => e.type === 'frame'),
    takeUntil(timer(baselineSeconds * 1000)),
    map((e) => e.frame.decodedAtMs ?? Date.now()),
    reduce((acc, atMs) => ({ count: acc.count + 1, firstAtMs: acc.firstAtMs ?? atMs, lastAtMs: atMs }), {
      count: 0,
      firstAtMs: undefined as number | undefined,
      lastAtMs: started,
    }),
  ),
);
const firstAt = decoded.firstAtMs ?? started;
const baselineFps = (decoded.count - 1) / Math.max(1e-3, (decoded.lastAtMs - firstAt) / 1000);
const baselineRss = process.memoryUsage.rss();

// The live run, with one viewer reading everything.
let received = 0;
let receivedBytes = 0;
let pictureSize = '-';
const summary = await runLive(
  input,
  parseLiveOptions({
    server: { port: 0 },
    source: sourceOptions,
    pipeline: { model: values.model, overlay, displayWidth, durationSeconds: seconds, statsIntervalSeconds: 5 },
  }),
  {
    notice: (line) => (/source (live|ended)|viewer at/.test(line) ? console.log(line) : undefined),
    onListening: (server) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}ws`);
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          received++;
          receivedBytes += (data as Buffer).length;
        } else if (pictureSize === '-') {
          const m = JSON.parse(String(data)) as { type: string; image?: { width: number; height: number } };
          if (m.type === 'result' && m.image) pictureSize = `${m.image.width}x${m.image.height}`;
        }
      });
    },
  },
);

const intervals = summary.intervals;
const steady = intervals.slice(Math.floor(intervals.length / 4));
const fps = steady.map((i) => i.processedFps);
console.log('\n| run | frames/s in | frames/s processed | latency p50 ms | latency p95 ms | dropped | RSS MB |');
console.log('|---|---|---|---|---|---|---|');
console.log(
  `| baseline: ffmpeg decode+scale to ${displayWidth} px, no model (${baselineSeconds} s) | ${baselineFps.toFixed(1)} | - | - | - | - | ${mb(baselineRss)} |`,
);
console.log(
  `| live, overlay ${overlay} (${seconds} s) | ${(summary.received / seconds).toFixed(1)} | ${(summary.processed / seconds).toFixed(2)} (steady min ${Math.min(...fps).toFixed(2)}) | ${ms(summary.latencyP50Ms)} | ${ms(summary.latencyP95Ms)} | ${(100 * summary.droppedFraction).toFixed(1)} % | ${mb(intervals.at(-1)?.rssBytes ?? 0)} |`,
);
console.log(`\nviewer received ${received} pictures of ${pictureSize} (${(receivedBytes / 2 ** 20).toFixed(1)} MB)`);
console.log(
  '\nRSS over time (MB): ' +
    intervals
      .filter((_, i) => i % 3 === 2)
      .map((i) => `${i.atSeconds.toFixed(0)} s: ${mb(i.rssBytes)}`)
      .join(', '),
);
const half = intervals.slice(Math.floor(intervals.length / 2));
if (half.length >= 2) {
  const slope = (half.at(-1)!.rssBytes - half[0]!.rssBytes) / 2 ** 20 / ((half.at(-1)!.atSeconds - half[0]!.atSeconds) / 60);
  console.log(`RSS slope over the second half: ${slope.toFixed(1)} MB/min`);
}
const p95s = steady.map((i) => i.latencyP95Ms ?? 0);
console.log(`per-interval p95 latency (ms): median ${ms(percentile(p95s, 50))}, worst ${ms(Math.max(...p95s))}`);
