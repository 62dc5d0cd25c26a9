/**
 * `ffmpeg -re ... -f mpegts - | rovlens live -`: a real-time pipe, as from an encoder. The first
 * result comes soon after the first bytes, and no frame is lost at the start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../src/sources/binaries.js';
import { BIN } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-live-pipe-'));
const tiny = writeTinyModel(join(dir, 'model'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The rows recorded so far: in the partial file while the run goes on, in the file once it ended. */
function recordedRows(record: string): string[] {
  const partial = readdirSync(dir).find((n) => n.startsWith('.pipe-record.partial-'));
  const path = partial ? join(dir, partial) : record;
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(1);
  } catch {
    return [];
  }
}

describe('rovlens live - on a real-time pipe', () => {
  it('gives its first result within 2 s of the first bytes and every row of a 6 s clip from its start', async () => {
    const record = join(dir, 'pipe-record.csv');
    const live = spawn(process.execPath, [BIN, 'live', '-', '--port', '0', '--model', tiny.modelPath, '--record', record], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    live.stderr.on('data', (d) => (stderr += d));
    // The producer starts once rovlens is up, so its start-up time is not counted.
    await new Promise<void>((ready) => live.stderr.on('data', () => /source connecting/.test(stderr) && ready()));
    const producer = spawn(
      ffmpegPath(),
      ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '10', '-f', 'mpegts', '-'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let firstByteMs: number | undefined;
    let firstResultMs: number | undefined;
    producer.stdout.once('data', () => (firstByteMs = performance.now()));
    producer.stdout.pipe(live.stdin);
    const poll = setInterval(() => {
      if (firstResultMs === undefined && recordedRows(record).length) firstResultMs = performance.now();
    }, 20);
    const code = await new Promise<number | null>((done) => live.once('exit', (c) => done(c)));
    clearInterval(poll);
    expect(code, stderr).toBe(0);
    expect(firstResultMs! - firstByteMs!, 'ms from the first byte to the first result').toBeLessThan(2000);
    const received = Number(/frames processed of (\d+) received/.exec(stderr)![1]);
    expect(received).toBe(60);
    const rows = recordedRows(record);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows[0]!.split(',').slice(1, 3)).toEqual(['0', '0']); // frame 0 at 0 s: nothing lost at the start
  });
});
