import { describe, expect, it } from 'vitest';
import { LiveStats, percentile } from '../../src/live/stats.js';
import { jpegSize } from '../../src/live/jpeg-size.js';
import { parseLiveOptions } from '../../src/config/live.js';
import { UsageError } from '../../src/errors.js';
import sharp from 'sharp';

describe('percentile', () => {
  it('takes the nearest rank, so p50 and p95 are values that occurred', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 95)).toBe(7);
  });

  it('answers NaN for no values', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('LiveStats', () => {
  it('gives per-interval rates and latency, and totals since the start', () => {
    const stats = new LiveStats(0);
    for (let i = 0; i < 30; i++) stats.frameReceived();
    for (let i = 0; i < 10; i++) stats.frameDropped();
    for (let i = 1; i <= 20; i++) stats.frameSent(i * 10);
    const first = stats.interval(2000);
    expect(first.inputFps).toBeCloseTo(15, 9);
    expect(first.processedFps).toBeCloseTo(10, 9);
    expect(first.latencyP50Ms).toBe(100);
    expect(first.latencyP95Ms).toBe(190);
    stats.frameReceived();
    const second = stats.interval(3000);
    expect(second).toEqual({ inputFps: 1, processedFps: 0, latencyP50Ms: null, latencyP95Ms: null });
    expect(stats.totals()).toMatchObject({ received: 31, processed: 20, dropped: 10, latencyP50Ms: 100 });
    expect(stats.totals().droppedFraction).toBeCloseTo(10 / 31, 9);
  });

  it('keeps every latency when the run outgrows its first buffer', () => {
    const stats = new LiveStats(0);
    for (let i = 0; i < 5000; i++) stats.frameSent(i);
    expect(stats.totals().processed).toBe(5000);
    expect(stats.totals().latencyP95Ms).toBe(4749);
  });
});

describe('jpegSize', () => {
  it('reads the size of a JPEG from its header', async () => {
    const jpeg = await sharp({ create: { width: 123, height: 45, channels: 3, background: '#08f' } })
      .jpeg()
      .toBuffer();
    expect(jpegSize(jpeg)).toEqual({ width: 123, height: 45 });
  });

  it('answers undefined for bytes that are not a JPEG', () => {
    expect(jpegSize(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
    expect(jpegSize(new Uint8Array(0))).toBeUndefined();
  });
});

describe('parseLiveOptions', () => {
  it('binds loopback by default and fills every default', () => {
    const o = parseLiveOptions({});
    expect(o.server).toMatchObject({ host: '127.0.0.1', port: 8620, maxPayloadBytes: 4096 });
    expect(o.source).toMatchObject({ stallTimeoutSeconds: 5, reconnectInitialSeconds: 0.5 });
    expect(o.pipeline).toMatchObject({ overlay: 'page', sendFrames: true });
  });

  it('refuses another address without a token, and says what to do', () => {
    expect(() => parseLiveOptions({ server: { host: '0.0.0.0' } })).toThrow(UsageError);
    expect(() => parseLiveOptions({ server: { host: '0.0.0.0' } })).toThrow(/^binding 0\.0\.0\.0 .*--token/);
    expect(parseLiveOptions({ server: { host: '0.0.0.0', token: 'long-enough' } }).server.host).toBe('0.0.0.0');
  });

  it('refuses a short token and out-of-range values, naming the field', () => {
    expect(() => parseLiveOptions({ server: { token: 'short' } })).toThrow(/server\.token: a token needs at least 8 characters/);
    expect(() => parseLiveOptions({ source: { stallTimeoutSeconds: 0 } })).toThrow(/source\.stallTimeoutSeconds/);
    expect(() => parseLiveOptions({ source: { reconnectInitialSeconds: 5, reconnectMaxSeconds: 1 } })).toThrow(
      /at least reconnectInitialSeconds/,
    );
  });
});
