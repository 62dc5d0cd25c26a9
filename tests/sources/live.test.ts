import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, filter, take, toArray, lastValueFrom, takeWhile } from 'rxjs';
import { liveSourceSchema, type LiveSourceOptions } from '../../src/config/live.js';
import { backoffSeconds, inputOptionsFor, liveSource, sourceKind, type LiveEvent } from '../../src/sources/live.js';
import { InputError, SourceError } from '../../src/errors.js';
import { freeUdpPort, udpSender, type UdpSender } from '../live/udp-sender.js';
import { CODECS, makeClip } from '../helpers/clips.js';

const senders: UdpSender[] = [];
afterEach(() => senders.splice(0).forEach((s) => s.stop()));

const options = (o: Partial<LiveSourceOptions> = {}) =>
  liveSourceSchema.parse({
    connectTimeoutSeconds: 3,
    stallTimeoutSeconds: 0.6,
    reconnectInitialSeconds: 0.1,
    reconnectMaxSeconds: 0.4,
    ...o,
  });

const states = (events: LiveEvent[]) => events.flatMap((e) => (e.type === 'status' ? [e.status.state] : []));

describe('liveSource', () => {
  describe('good calls', () => {
    it('tells streams, devices, stdin and files apart', () => {
      expect(['rtsp://cam/1', 'udp://127.0.0.1:5000', 'https://x/live.m3u8', 'srt://h:1'].map(sourceKind)).toEqual([
        'stream',
        'stream',
        'stream',
        'stream',
      ]);
      expect(['/dev/video0', '-', 'pipe:0', 'dive.mp4', 'file:dive.mp4'].map(sourceKind)).toEqual([
        'device',
        'stdin',
        'stdin',
        'file',
        'file',
      ]);
    });

    it('asks ffmpeg for low delay on streams, RTSP over the chosen transport, and v4l2 for devices', () => {
      const o = options({ rtspTransport: 'udp', inputOptions: ['-probesize', '32'] });
      expect(inputOptionsFor('rtsp://cam/1', o)).toEqual([
        '-fflags',
        'nobuffer',
        '-flags',
        'low_delay',
        '-analyzeduration',
        '200000',
        '-rtsp_transport',
        'udp',
        '-probesize',
        '32',
      ]);
      expect(inputOptionsFor('/dev/video0', options())).toEqual([
        '-fflags',
        'nobuffer',
        '-flags',
        'low_delay',
        '-analyzeduration',
        '200000',
        '-f',
        'v4l2',
      ]);
      expect(inputOptionsFor('dive.mp4', options())).toEqual([]);
    });

    it('backs off exponentially up to the maximum', () => {
      expect([1, 2, 3, 4, 5, 6].map((n) => backoffSeconds(n, 0.5, 5))).toEqual([0.5, 1, 2, 4, 5, 5]);
    });

    it('receives frames from an ffmpeg process streaming MPEG-TS over UDP, resized for the model', async () => {
      const port = await freeUdpPort();
      const source = liveSource(`udp://127.0.0.1:${port}`, options(), {
        crop: { widthFraction: 0.5, heightFraction: 1 },
        outputSize: { width: 32, height: 32 },
      });
      const events = firstValueFrom(
        source.pipe(
          filter((e) => e.type === 'frame'),
          take(5),
          toArray(),
        ),
      );
      senders.push(udpSender({ port, seconds: 8 }));
      const frames = (await events).map((e) => (e as Extract<LiveEvent, { type: 'frame' }>).frame);
      expect(frames).toHaveLength(5);
      expect(frames[0]).toMatchObject({
        width: 32,
        height: 32,
        sourceSize: { width: 160, height: 120 },
        region: { x: 40, y: 0, width: 80, height: 120 },
      });
      const now = Date.now();
      for (const f of frames) expect(now - f.decodedAtMs!).toBeLessThan(10_000);
      // Frames arrive in presentation order.
      for (let i = 1; i < frames.length; i++) expect(frames[i]!.ptsSeconds).toBeGreaterThan(frames[i - 1]!.ptsSeconds);
    });

    it('reports a stall when the stream stops, reconnects with backoff, and resumes when it returns', async () => {
      const port = await freeUdpPort();
      const seen: LiveEvent[] = [];
      let framesAfterReturn = 0;
      let returned = false;
      const done = lastValueFrom(
        liveSource(`udp://127.0.0.1:${port}`, options()).pipe(
          takeWhile(() => framesAfterReturn < 3),
          filter((e) => {
            seen.push(e);
            if (returned && e.type === 'frame') framesAfterReturn++;
            return true;
          }),
        ),
        { defaultValue: undefined },
      );
      const first = udpSender({ port, seconds: 2 });
      senders.push(first);
      await first.exited;
      // The sender is gone: wait until the source has noticed and retried at least twice, then come back.
      const waitFor = async (check: () => boolean) => {
        for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
      };
      const retriesSinceStall = () => {
        const at = seen.findIndex((e) => e.type === 'status' && e.status.state === 'stalled');
        return at < 0 ? 0 : seen.slice(at).filter((e) => e.type === 'status' && e.status.state === 'reconnecting').length;
      };
      await waitFor(() => retriesSinceStall() >= 2);
      returned = true;
      senders.push(udpSender({ port, seconds: 6, lavfi: 'color=c=red' }));
      await done;
      const s = states(seen);
      expect(s[0]).toBe('connecting');
      expect(s.indexOf('live')).toBeGreaterThan(0);
      expect(s.indexOf('stalled')).toBeGreaterThan(s.indexOf('live'));
      expect(s.lastIndexOf('live')).toBeGreaterThan(s.indexOf('stalled'));
      // The retries after the stall (a busy machine may have needed one before the first frame too).
      const stalledAt = seen.findIndex((e) => e.type === 'status' && e.status.state === 'stalled');
      const retries = seen.slice(stalledAt).flatMap((e) => (e.type === 'status' && e.status.state === 'reconnecting' ? [e.status] : []));
      expect(retries.length).toBeGreaterThanOrEqual(2);
      expect(retries[0]!.retryInSeconds).toBeCloseTo(0.1, 6);
      expect(retries[1]!.retryInSeconds).toBeCloseTo(0.2, 6);
      expect(framesAfterReturn).toBe(3);
      // One clock for the session: times and frame numbers go on increasing across the reconnection.
      const frames = seen.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
      frames.slice(1).forEach((f, i) => {
        expect(f.ptsSeconds).toBeGreaterThan(frames[i]!.ptsSeconds);
        expect(f.index).toBe(frames[i]!.index + 1);
      });
    }, 30_000);

    it('plays a file and ends when it ends', async () => {
      // A one-second generated clip (lavfi), played at its own rate.
      const clip = makeClip('live-96x64-1s', { width: 96, height: 64, seconds: 1, fps: 10, codec: [...CODECS.h264], ext: 'mp4' });
      const started = Date.now();
      const events = await lastValueFrom(liveSource(clip, options({ realtime: true })).pipe(toArray()));
      const elapsedSeconds = (Date.now() - started) / 1000;
      expect(events.filter((e) => e.type === 'frame')).toHaveLength(10);
      expect(states(events)).toEqual(['connecting', 'live', 'ended']);
      // Real time: a 1 s clip takes about 1 s, not the few milliseconds decoding alone would.
      expect(elapsedSeconds).toBeGreaterThan(0.8);
    });
  });

  describe('bad calls and failures', () => {
    it('refuses a file that does not exist with an InputError before starting anything', () => {
      expect(() => liveSource('no-such-dive.mp4', options())).toThrow(InputError);
    });

    it('gives up with a SourceError (exit code 8) when a silent stream does not come back within maxRetries', async () => {
      const port = await freeUdpPort();
      const events: LiveEvent[] = [];
      const source = liveSource(`udp://127.0.0.1:${port}`, options({ connectTimeoutSeconds: 0.5, maxRetries: 1 }));
      const error = await lastValueFrom(source.pipe(filter((e) => (events.push(e), false))), { defaultValue: undefined }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SourceError);
      expect((error as SourceError).exitCode).toBe(8);
      expect((error as Error).message).toMatch(/gave up after 1 retry/);
      expect(states(events)).toEqual(['connecting', 'reconnecting', 'failed']);
    }, 15_000);
  });
});
