/**
 * `runLive` with a navigation feed: a file played in real time, NMEA 0183 sentences sent as UDP
 * datagrams while it plays (then silence), a real WebSocket viewer and the --record CSV.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseLiveOptions } from '../../src/config/live.js';
import type { ResultMessage, ServerMessage } from '../../src/live/protocol.js';
import { runLive } from '../../src/runners/live.js';
import { nmeaChecksum } from '../../src/telemetry/nmea.js';
import { CODECS, makeClip } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const sentence = (body: string) => `$${body}*${nmeaChecksum(body)}\r\n`;
const MAX_AGE_SECONDS = 0.4;

describe('runLive with NMEA position and heading over UDP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-live-nav-'));
  const record = join(dir, 'live.csv');
  const results: ResultMessage[] = [];
  const notices: string[] = [];
  let lastSentMs = 0;

  beforeAll(async () => {
    const tiny = writeTinyModel(dir);
    const clip = makeClip('live-nav-160x120-3s', { width: 160, height: 120, seconds: 3, fps: 10, codec: [...CODECS.h264], ext: 'mp4' });
    const options = parseLiveOptions({
      server: { port: 0 },
      source: { realtime: true },
      pipeline: { model: tiny.modelPath, record, navUdp: { host: '127.0.0.1', port: 0 }, navMaxAgeSeconds: MAX_AGE_SECONDS },
    });
    const sender = createSocket('udp4');
    let timer: NodeJS.Timeout | undefined;
    await runLive(clip, options, {
      handleSignals: false,
      notice: (line) => {
        notices.push(line);
        // The feed's port is in its notice; send 1.2 s of fixes, 10 a second, then stop.
        const m = /navigation from NMEA 0183 on udp 127\.0\.0\.1:(\d+)/.exec(line);
        if (!m) return;
        const port = Number(m[1]);
        const started = Date.now();
        let k = 0;
        timer = setInterval(() => {
          if (Date.now() - started > 1200) return clearInterval(timer);
          const minutes = (38.9 + 0.001 * k).toFixed(4);
          sender.send(
            sentence(`GPGGA,010203.00,43${minutes},N,00721.0000,E,1,10,0.8,-38.4,M,,,,`) + sentence(`HEHDT,${90 + k},T`),
            port,
            '127.0.0.1',
          );
          lastSentMs = Date.now();
          k++;
        }, 100);
      },
      onListening: (server) => {
        const client = new WebSocket(`${server.url.replace('http', 'ws')}ws`);
        client.on('message', (data, isBinary) => {
          if (isBinary) return;
          const message = JSON.parse(String(data)) as ServerMessage;
          if (message.type === 'result') results.push(message);
        });
      },
    });
    clearInterval(timer);
    sender.close();
  });

  it('sends the newest position and heading with each result while the feed talks, and none once it is silent', () => {
    expect(results.length).toBeGreaterThan(5);
    const located = results.filter((r) => r.nav?.values.latitude !== undefined);
    expect(located.length).toBeGreaterThan(0);
    for (const r of located) {
      expect(r.nav!.values.latitude).toBeGreaterThan(43.648);
      expect(r.nav!.values.latitude).toBeLessThan(43.65);
      expect(r.nav!.values.heading_deg).toBeGreaterThanOrEqual(90);
      expect(r.nav!.time).toBe(new Date(r.decodedAtMs).toISOString());
    }
    // Decoded well after the last fix: processed later still, so the fix was too old to show.
    const late = results.filter((r) => r.decodedAtMs > lastSentMs + MAX_AGE_SECONDS * 1000 + 50);
    expect(late.length).toBeGreaterThan(0);
    for (const r of late) expect(r.nav).toEqual({ time: new Date(r.decodedAtMs).toISOString(), values: {} });
    expect(notices.some((l) => /navigation: \d+ NMEA sentences used, 0 lines ignored/.test(l))).toBe(true);
  });

  it('records the position and heading columns in the timeline CSV', () => {
    const rows = parse(readFileSync(record, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!).slice(4, 9)).toEqual(['nav_time', 'nav_latitude', 'nav_longitude', 'nav_altitude_m', 'nav_heading_deg']);
    expect(rows.length).toBe(results.length);
    expect(rows.some((r) => r.nav_latitude !== '' && Number(r.nav_altitude_m) === -38.4)).toBe(true);
    expect(rows.at(-1)!.nav_latitude).toBe('');
  });
});
