/**
 * `runLive` with a model whose card says its heatmap points worse than the centre: the heatmap is
 * off unless asked for, and the notice and the viewer's hello say why, with the card's figures.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseLiveOptions } from '../../src/config/live.js';
import type { HelloMessage, ResultMessage, ServerMessage } from '../../src/live/protocol.js';
import { runLive } from '../../src/runners/live.js';
import { CODECS, makeClip } from '../helpers/clips.js';
import { writeTinyModelWithUnreliableHeatmap } from '../helpers/unreliable-heatmap.js';

async function run(heatmap: boolean | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-live-heatmap-'));
  const tiny = writeTinyModelWithUnreliableHeatmap(dir);
  const clip = makeClip('live-heatmap-160x120-2s', { width: 160, height: 120, seconds: 2, fps: 10, codec: [...CODECS.h264], ext: 'mp4' });
  const options = parseLiveOptions({
    server: { port: 0 },
    source: { realtime: true },
    pipeline: { model: tiny.modelPath, overlayMask: 'off', ...(heatmap !== undefined ? { heatmap } : {}) },
  });
  const notices: string[] = [];
  const messages: ServerMessage[] = [];
  await runLive(clip, options, {
    handleSignals: false,
    notice: (line) => notices.push(line),
    onListening: (server) => {
      const client = new WebSocket(`${server.url.replace('http', 'ws')}ws`);
      client.on('message', (data, isBinary) => {
        if (!isBinary) messages.push(JSON.parse(String(data)) as ServerMessage);
      });
    },
  });
  const hello = messages.find((m): m is HelloMessage => m.type === 'hello')!;
  const results = messages.filter((m): m is ResultMessage => m.type === 'result');
  return { notices, hello, results };
}

describe('runLive with a heatmap the model card calls unreliable', () => {
  it('leaves the heatmap off by default and says why, in the notice and in the hello', async () => {
    const { notices, hello, results } = await run(undefined);
    expect(notices.join('\n')).toMatch(/element heatmap unreliable: 37\.5 % vs centre 60\.0 % .*: off \(--heatmap shows it\)/);
    expect(hello.heatmap).toEqual({ shown: false, note: 'unreliable: 37.5 % vs centre 60.0 %' });
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.cam === undefined && r.localisation === undefined)).toBe(true);
  }, 30_000);

  it('shows it with --heatmap, still marked', async () => {
    const { notices, hello, results } = await run(true);
    expect(notices.join('\n')).toMatch(/unreliable: 37\.5 % vs centre 60\.0 % .*: shown, as asked \(--heatmap\)/);
    expect(hello.heatmap).toEqual({ shown: true, note: 'unreliable: 37.5 % vs centre 60.0 %' });
    expect(results.some((r) => r.cam !== undefined)).toBe(true);
  }, 30_000);
});
