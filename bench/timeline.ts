/**
 * `npm run bench:timeline [-- --minutes 0.5,10 --modes default,keyframes --model path]`
 *
 * Times `rovlens timeline` on a long 4K H.264 clip against the floor it cannot beat: ffmpeg decoding
 * the same file to nothing (`ffmpeg -i clip -f null -`), measured in the same run because absolute
 * times drift on a shared machine. Reports the speed ratio (1.0 = as fast as decoding alone), frames/s
 * and the peak RSS of the whole process tree (node + ffmpeg), for the default sampling, every frame and
 * keyframes only. The clip is the bundled 2 s 4K sample looped without re-encoding (bench/out/), 30 s and
 * 10 minutes by default; the target is a speed ratio of at least 0.9 for the default sampling. The
 * machine's load average is printed with the table: on a busy machine the wall-time ratios mean little,
 * and the CPU time of each process tree (user + system, from GNU time) is the steadier comparison.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ffmpegPath } from '../src/sources/binaries.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '0.5,10' },
    model: { type: 'string' },
    modes: { type: 'string', default: 'default,keyframes' },
  },
});

const model =
  values.model ?? [join(root, 'models/rovlens-default.onnx'), join(root, 'models/build/mobilenet_v2-backbone.onnx')].find(existsSync);
if (!model) throw new Error('no model: pass --model (the default model or the backbone build)');

function loopedClip(minutes: number): string {
  const dir = join(root, 'bench/out');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `seafloor-4k-${minutes * 60}s.mp4`);
  if (!existsSync(path)) {
    const loops = Math.ceil((minutes * 60) / 2) - 1;
    const r = spawnSync(ffmpegPath(), [
      '-v',
      'error',
      '-y',
      '-stream_loop',
      String(loops),
      '-i',
      join(root, 'samples/seafloor-4k.mp4'),
      '-c',
      'copy',
      path,
    ]);
    if (r.status !== 0) throw new Error(`could not make ${path}: ${r.stderr}`);
  }
  return path;
}

/** Sum of VmRSS over a process and all its descendants, in MB. */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let kb = 0;
  const visit = (p: number) => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // ended
    }
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return kb / 1024;
}

interface Measured {
  seconds: number;
  /** User + system CPU time of the whole process tree: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  peakRssMb: number;
  stdout: string;
}

function measure(command: string, args: string[]): Promise<Measured> {
  return new Promise((done, fail) => {
    const started = performance.now();
    // GNU time reports the tree's CPU time (children the command waited for included) on its last line.
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, treeRssMb(child.pid!))), 100);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) return fail(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
      const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      done({ seconds: (performance.now() - started) / 1000, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN, peakRssMb: peak, stdout });
    });
  });
}

const modes: Record<string, string[]> = {
  default: [],
  every0: ['--every', '0'],
  keyframes: ['--keyframes', '--every', '0'],
};

const loadBefore = loadavg().map((l) => l.toFixed(1)).join(' ');
const rows: string[][] = [];
for (const minutes of values.minutes.split(',').map(Number)) {
  const clip = loopedClip(minutes);
  const frames = Math.round(minutes * 60 * 25);
  const decode = await measure(ffmpegPath(), ['-v', 'error', '-i', clip, '-f', 'null', '-']);
  rows.push([
    `${minutes * 60} s`,
    'ffmpeg decode only (baseline)',
    decode.seconds.toFixed(1),
    (frames / decode.seconds).toFixed(1),
    '1.00',
    decode.cpuSeconds.toFixed(1),
    '1.00',
    decode.peakRssMb.toFixed(0),
    '-',
  ]);
  for (const mode of values.modes.split(',')) {
    const run = await measure(process.execPath, [join(root, 'bin/rovlens.js'), 'timeline', clip, '--model', model, '-q', ...modes[mode]!]);
    const outRows = run.stdout.trim().split('\n').length - 1;
    rows.push([
      `${minutes * 60} s`,
      `rovlens timeline ${modes[mode]!.join(' ') || '(every 1 s)'}`,
      run.seconds.toFixed(1),
      (frames / run.seconds).toFixed(1),
      (decode.seconds / run.seconds).toFixed(2),
      run.cpuSeconds.toFixed(1),
      (decode.cpuSeconds / run.cpuSeconds).toFixed(2),
      run.peakRssMb.toFixed(0),
      String(outRows),
    ]);
  }
}

const header = ['input', 'run', 'wall s', 'source fr/s', 'speed vs decode', 'CPU s', 'CPU: decode / run', 'peak RSS MB', 'rows'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(`clip: bundled 4K sample looped (3840x2160 H.264, 25 fps); model: ${model.replace(root + '/', '')}`);
console.log(`machine: ${cpus().length} cores; load average (1, 5, 15 min) ${loadBefore} before, ${loadavg().map((l) => l.toFixed(1)).join(' ')} after`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
