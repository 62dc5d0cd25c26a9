/**
 * `runLive` end to end with real components: an ffmpeg process streams MPEG-TS over UDP, the live
 * pipeline decodes it with ffmpeg, runs the tiny ONNX model in ONNX Runtime, and a real WebSocket
 * client receives results and frames. The sender (blue) stops part-way and a second one (red) takes over,
 * so the same run shows the source dropping and returning while the server and viewer stay up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { WebSocket } from 'ws';
import { parseLiveOptions } from '../../src/config/live.js';
import { runLive, type LiveSummary } from '../../src/runners/live.js';
import { decodeFrame, type ResultMessage, type ServerMessage, type StatusMessage, type StatsMessage } from '../../src/live/protocol.js';
import { jpegSize } from '../../src/live/jpeg-size.js';
import { relativeCenterCrop } from '../../src/geometry.js';
import { timelineColumns } from '../../src/sinks/timeline.js';
import { writeTinyModel, type TinyModel } from '../helpers/tiny-model.js';
import { freeUdpPort, udpSender, type UdpSender } from '../live/udp-sender.js';

interface Transcript {
  texts: ServerMessage[];
  frames: { seq: number; jpeg: Uint8Array }[];
  closeCode?: number;
}

describe('runLive over UDP with a WebSocket viewer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-live-run-'));
  const record = join(dir, 'live.csv');
  const got: Transcript = { texts: [], frames: [] };
  const senders: UdpSender[] = [];
  let tiny: TinyModel;
  let summary: LiveSummary;
  let redResultsAfterReturn = 0;

  beforeAll(async () => {
    tiny = writeTinyModel(dir);
    const port = await freeUdpPort();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const options = parseLiveOptions({
      server: { port: 0, heartbeatSeconds: 1 },
      source: { connectTimeoutSeconds: 3, stallTimeoutSeconds: 1, reconnectInitialSeconds: 0.1, reconnectMaxSeconds: 0.4 },
      pipeline: { model: tiny.modelPath, record, statsIntervalSeconds: 0.25, durationSeconds: 30 },
    });
    let client: WebSocket | undefined;
    let stalledSeen = false;
    let returnedSeen = false;
    const run = runLive(`udp://127.0.0.1:${port}`, options, {
      notice: () => undefined,
      handleSignals: false,
      stop: stopped,
      onListening: (server) => {
        client = new WebSocket(`${server.url.replace('http', 'ws')}ws`);
        client.on('message', (data, isBinary) => {
          if (isBinary) return got.frames.push(decodeFrame(data as Buffer));
          const message = JSON.parse(String(data)) as ServerMessage;
          got.texts.push(message);
          // Once the red stream has been live for a few results after the drop, the scenario is complete.
          if (message.type === 'status' && message.state === 'stalled') stalledSeen = true;
          if (message.type === 'status' && message.state === 'live' && stalledSeen) returnedSeen = true;
          if (message.type === 'result' && returnedSeen && message.heads.floor?.label === 'reef') {
            if (++redResultsAfterReturn === 4) stop();
          }
        });
        client.on('close', (code) => (got.closeCode = code));
      },
    });
    const first = udpSender({ port, seconds: 2, lavfi: 'color=c=blue' });
    senders.push(first);
    await first.exited;
    // Let the source notice the drop and retry, then a different scene comes back.
    const deadline = Date.now() + 5000;
    const retryingAfterStall = () => {
      const at = got.texts.findIndex((m) => m.type === 'status' && m.state === 'stalled');
      return at >= 0 && got.texts.slice(at).some((m) => m.type === 'status' && m.state === 'reconnecting');
    };
    while (Date.now() < deadline && !retryingAfterStall()) await new Promise((r) => setTimeout(r, 50));
    senders.push(udpSender({ port, seconds: 10, lavfi: 'color=c=red' }));
    summary = await run;
    await new Promise((r) => setTimeout(r, 100));
  }, 40_000);

  afterAll(() => {
    senders.forEach((s) => s.stop());
    rmSync(dir, { recursive: true, force: true });
  });

  const results = () => got.texts.filter((m): m is ResultMessage => m.type === 'result');
  const statuses = () => got.texts.filter((m): m is StatusMessage => m.type === 'status').map((m) => m.state);

  it('greets the viewer with protocol version 2 and the model’s heads and labels', () => {
    const hello = got.texts[0]!;
    expect(hello).toMatchObject({
      v: 2,
      type: 'hello',
      model: { name: 'rovlens-tiny', heads: { floor: tiny.card.heads.floor!.labels, element: tiny.card.heads.element!.labels } },
    });
  });

  it('sends results with labels, probabilities that sum to 1, the CAM grid, boxes and a group id', () => {
    const all = results();
    // Blue results before the drop plus the 4 red ones after it; how many blue ones depends on how
    // much of the 2 s stream a loaded machine processes (the pipeline drops what it cannot keep up with).
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const r of all) {
      for (const head of ['floor', 'element']) {
        const p = r.heads[head]!;
        expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
        expect(tiny.card.heads[head]!.labels).toContain(p.label);
      }
      expect(r.cam).toMatchObject({ head: 'element', width: 8, height: 8 });
      expect(r.cam!.data).toHaveLength(64);
      // Scaled to 0..1 by its maximum (a map that is zero everywhere stays zero).
      expect(Math.min(...r.cam!.data)).toBeGreaterThanOrEqual(0);
      expect([0, 1]).toContain(Math.max(...r.cam!.data));
      expect(r.localisation!.boxes.length).toBeGreaterThan(0);
      expect(r.groupId).toBeGreaterThanOrEqual(0);
      expect(r.sourceSize).toEqual({ width: 160, height: 120 });
    }
  });

  it('measures latency from the decoder to the send, and keeps it well under a second on loopback', () => {
    for (const r of results()) {
      expect(r.latencyMs).toBe(r.sentAtMs - r.decodedAtMs);
      expect(r.latencyMs).toBeGreaterThanOrEqual(0);
      expect(r.latencyMs).toBeLessThan(1000);
    }
    expect(summary.latencyP95Ms).not.toBeNull();
  });

  it('pairs every JPEG frame with its result by seq, at the size the result announces', () => {
    const bySeq = new Map(results().map((r) => [r.seq, r]));
    expect(got.frames.length).toBeGreaterThanOrEqual(6);
    for (const f of got.frames) {
      const r = bySeq.get(f.seq);
      expect(r, `result for frame ${f.seq}`).toBeDefined();
      expect(jpegSize(f.jpeg)).toEqual(r!.image);
      // The whole 160x120 source (narrower than the display width: never scaled up), not the 64x64 model input.
      expect(r!.image).toEqual({ width: 160, height: 120 });
    }
  });

  it('says the picture shows the whole source and the model saw its centre crop, with boxes and peak inside the crop', () => {
    const crop = relativeCenterCrop({ width: 160, height: 120 }, tiny.card.crop);
    for (const r of results()) {
      expect(r.imageRegion).toEqual({ x: 0, y: 0, width: 160, height: 120 });
      for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(r.region[key] - crop[key]), key).toBeLessThanOrEqual(1);
      const { boxes, peak } = r.localisation!;
      for (const b of boxes) {
        expect(b.x).toBeGreaterThanOrEqual(r.region.x - 1);
        expect(b.x + b.width).toBeLessThanOrEqual(r.region.x + r.region.width + 1);
      }
      expect(peak.x).toBeGreaterThanOrEqual(r.region.x);
      expect(peak.x).toBeLessThanOrEqual(r.region.x + r.region.width);
    }
  });

  it('tells the viewer when the source stalls and reconnects, and resumes with the new scene', () => {
    const s = statuses();
    expect(s.indexOf('live')).toBeGreaterThanOrEqual(0);
    const stalled = s.indexOf('stalled');
    expect(stalled).toBeGreaterThan(s.indexOf('live'));
    expect(s.indexOf('reconnecting', stalled)).toBeGreaterThan(stalled);
    expect(s.lastIndexOf('live')).toBeGreaterThan(stalled);
    // Before the drop a blue scene ('muddy' to the tiny model); after it, a red one ('reef').
    expect(redResultsAfterReturn).toBe(4);
    expect(results()[0]!.heads.floor!.label).toBe('muddy');
    expect(results().at(-1)!.heads.floor!.label).toBe('reef');
  });

  it('reports input fps, processed fps, drops and latency in stats messages', () => {
    const stats = got.texts.filter((m): m is StatsMessage => m.type === 'stats');
    expect(stats.length).toBeGreaterThan(4);
    const busy = stats.filter((m) => m.processedFps > 0);
    expect(busy.length).toBeGreaterThan(0);
    // The sender runs at 15 fps; one interval's rate is noisy, the best one is near it.
    expect(Math.max(...stats.map((m) => m.inputFps))).toBeGreaterThan(5);
    expect(Math.max(...stats.map((m) => m.inputFps))).toBeLessThan(40);
    for (const m of busy) expect(m.latencyMs.p95).toBeGreaterThanOrEqual(m.latencyMs.p50!);
  });

  it('accounts for every frame received: processed or dropped, none queued', () => {
    // One frame may be in the work when the run stops: it is neither sent nor dropped.
    expect(summary.processed + summary.dropped).toBeGreaterThanOrEqual(summary.received - 1);
    expect(summary.processed + summary.dropped).toBeLessThanOrEqual(summary.received);
    expect(summary.processed).toBe(results().length);
  });

  it('records the same timeline CSV as `rovlens timeline`, one row per result', () => {
    const lines = readFileSync(record, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe(timelineColumns(tiny.card).header.join(','));
    expect(lines.length - 1).toBe(results().length);
    expect(lines.at(-1)).toContain('reef');
  });

  it('says goodbye: the last status is ended and the server closes the socket with 1001', () => {
    expect(statuses().at(-1)).toBe('ended');
    expect(got.closeCode).toBe(1001);
  });
});
