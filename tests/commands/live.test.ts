/** `rovlens live` as a user runs it: a separate process on bin/rovlens.js. */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { WebSocket } from 'ws';
import { BIN, runCli } from '../helpers/cli.js';
import { CODECS, ffmpeg, makeClip } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { decodeFrame, type ResultMessage, type ServerMessage } from '../../src/live/protocol.js';
import { jpegSize } from '../../src/live/jpeg-size.js';
import type { Size } from '../../src/types.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-live-cli-'));
const tiny = writeTinyModel(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rovlens live (command line)', () => {
  describe('good calls', () => {
    it('plays a file in real time to a viewer with the right token, refuses a wrong token, and exits 0 at the end', async () => {
      const clip = makeClip('live-256x192-3s', { width: 256, height: 192, seconds: 3, fps: 10, codec: [...CODECS.h264], ext: 'mp4' });
      const args = ['live', clip, '--realtime', '--port', '0', '--model', tiny.modelPath, '--overlay', 'server', '--display-width', '160'];
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { ...process.env, ROVLENS_LIVE_TOKEN: 'sea-floor-secret' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          stderr += d;
          const m = /viewer at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
      });
      const ws = `${url.replace('http', 'ws')}ws`;
      const refused = await new Promise<number>((resolve) =>
        new WebSocket(`${ws}?token=wrong-secret`).once('unexpected-response', (_q, res) => resolve(res.statusCode!)),
      );
      expect(refused).toBe(401);
      const texts: ServerMessage[] = [];
      const pictureSizes: (Size | undefined)[] = [];
      const client = new WebSocket(`${ws}?token=sea-floor-secret`);
      client.on('message', (data, isBinary) =>
        isBinary ? pictureSizes.push(jpegSize(decodeFrame(data as Buffer).jpeg)) : texts.push(JSON.parse(String(data))),
      );
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code, stderr).toBe(0);
      const results = texts.filter((m): m is ResultMessage => m.type === 'result');
      expect(results.length).toBeGreaterThan(5);
      expect(pictureSizes.length).toBeGreaterThan(5);
      // --display-width 160: the whole 256x192 frame at 160x120, rendered by the server.
      for (const size of pictureSizes) expect(size).toEqual({ width: 160, height: 120 });
      for (const r of results.filter((m) => m.image)) {
        expect(r).toMatchObject({
          annotated: true,
          image: { width: 160, height: 120 },
          imageRegion: { x: 0, y: 0, width: 256, height: 192 },
        });
      }
      expect(stderr).toMatch(/frames processed of \d+ received/);
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    });

    it('reads MPEG-TS from stdin and exits 0 when stdin ends', async () => {
      const ts = join(dir, 'clip.ts');
      ffmpeg([
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=128x96:rate=10:duration=2',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-g',
        '5',
        '-pix_fmt',
        'yuv420p',
        '-f',
        'mpegts',
        ts,
      ]);
      const child = spawn(process.execPath, [BIN, 'live', '-', '--port', '0', '--model', tiny.modelPath], {
        stdio: [openSync(ts, 'r'), 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code, stderr).toBe(0);
      const m = /(\d+) frames processed of (\d+) received/.exec(stderr);
      // Not real time: frames arrive faster than the model, so some are dropped; all 20 are received.
      expect(Number(m![2])).toBe(20);
      expect(Number(m![1])).toBeGreaterThan(0);
      expect(stderr).toMatch(/source ended: end of input/);
    });
  });

  it('adds exact Grad-CAM outputs to a model exported without them, so the live feed and its record have boxes', async () => {
    const plain = writeTinyModel(join(dir, 'plain'), { withCams: false });
    // MPEG-TS on stdin, as from an encoder (the container follows the extension).
    const ts = makeClip('live-128x96-1s', { width: 128, height: 96, seconds: 1, fps: 10, codec: [...CODECS.h264], ext: 'ts' });
    const record = join(dir, 'plain-live.csv');
    const child = spawn(process.execPath, [BIN, 'live', '-', '--port', '0', '--model', plain.modelPath, '--record', record], {
      stdio: [openSync(ts, 'r'), 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/added exact Grad-CAM outputs for head floor, element/);
    expect(stderr).not.toMatch(/shows no heatmap/);
    const [header, ...rows] = readFileSync(record, 'utf8').trim().split('\n');
    const columns = header!.split(',');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const cells = row.split(',');
      expect(cells[columns.indexOf('cam_method')]).toBe('gradcam');
      expect(cells[columns.indexOf('element_box')]).toMatch(/^\d+ \d+ \d+ \d+/);
    }
  });

  describe('bad calls', () => {
    it('refuses to bind a non-loopback address without a token (exit 2, one line)', async () => {
      const r = await runCli(['live', 'udp://127.0.0.1:5000', '--host', '0.0.0.0', '--model', tiny.modelPath], {
        env: { ROVLENS_LIVE_TOKEN: '' },
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/0\.0\.0\.0.*--token/);
    });

    it('refuses a port out of range (exit 2)', async () => {
      const r = await runCli(['live', 'udp://127.0.0.1:5000', '--port', '70000']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim()).toBe("rovlens: --port: must be an integer in 0..65535, got '70000'");
    });

    it('refuses a --nav-udp that is not a port or host:port, and one it cannot listen on (exit 2 / 8, one line)', async () => {
      const bad = await runCli(['live', 'udp://127.0.0.1:5000', '--nav-udp', 'usbl']);
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stderr.trim()).toBe('rovlens: --nav-udp: give a UDP port, or host:port, e.g. 10110 or 0.0.0.0:10110');
      const big = await runCli(['live', 'udp://127.0.0.1:5000', '--nav-udp', '99999']);
      expect([big.code, big.stderr.trim()]).toEqual([2, 'rovlens: --nav-udp: the port must be 0..65535']);
      const foreign = await runCli(['live', 'udp://127.0.0.1:5000', '--port', '0', '--nav-udp', '203.0.113.7:10110']);
      expect(foreign.code, foreign.stderr).toBe(8);
      expect(foreign.stderr.trim().split('\n').at(-1)).toBe('rovlens: cannot listen for NMEA on udp 203.0.113.7:10110: EADDRNOTAVAIL');
    });

    it('refuses a --display-width below 160, above 3840 or not whole (exit 2, no stack trace)', async () => {
      const bads = ['100', '4000', '640.5'];
      const runs = await Promise.all(bads.map((bad) => runCli(['live', 'udp://127.0.0.1:5000', '--display-width', bad])));
      for (const [i, r] of runs.entries()) {
        const bad = bads[i]!;
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr.trim()).toBe(`rovlens: --display-width: must be an integer in 160..3840, got '${bad}'`);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    });

    it('reports a missing file with exit 3 before opening the port', async () => {
      const r = await runCli(['live', join(dir, 'no-such-dive.mp4'), '--model', tiny.modelPath]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/^rovlens: input not found: .*no-such-dive\.mp4\n$/);
    });

    it('reports a --record file that cannot be written with exit 6, and closes the port', async () => {
      // A folder that is a file: the record cannot be created.
      const r = await runCli(
        ['live', 'udp://127.0.0.1:5000', '--port', '0', '--model', tiny.modelPath, '--record', join(tiny.modelPath, 'live.csv')],
        { timeoutMs: 20_000 },
      );
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(/rovlens: --record: cannot write .*tiny\.onnx\/live\.csv: .* is a file, not a folder\n$/);
    });

    it('reports a missing model with exit 5', async () => {
      const r = await runCli(['live', 'udp://127.0.0.1:5000', '--model', join(dir, 'nope.onnx')]);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/^rovlens: model not found/);
    });
  });
});
