import { execSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DecodeError, InputError } from '../../src/errors.js';
import { cropResize } from '../../src/operators/crop-resize.js';
import { sampleEvery } from '../../src/operators/sample.js';
import { decodeVideo, filterChain } from '../../src/sources/ffmpeg.js';
import { probeVideo } from '../../src/sources/probe.js';
import type { Frame } from '../../src/types.js';
import { CODECS, SAMPLES, ffmpeg, makeClip, tmpFile } from '../helpers/clips.js';

const collect = (o: ReturnType<typeof decodeVideo>) => lastValueFrom(o.pipe(toArray()));

describe('decodeVideo: good calls', () => {
  const clip = makeClip('h264-320x240-2s', { width: 320, height: 240, seconds: 2, fps: 25, codec: CODECS.h264, ext: 'mp4' });

  it('emits every frame with its stream timestamp and frame number', async () => {
    const frames = await collect(decodeVideo(clip));
    expect(frames).toHaveLength(50);
    frames.forEach((f, n) => {
      expect(f.index).toBe(n);
      expect(f.ptsSeconds).toBeCloseTo(n / 25, 3);
      expect(f.pixels.length).toBe(320 * 240 * 3);
    });
  });

  it('keeps the first frame of each slot when sampling every 0.5 s', async () => {
    const frames = await collect(decodeVideo(clip, { everySeconds: 0.5 }));
    // 25 fps has no frame at 0.5 s: the slot [0.5, 1) starts with frame 13 at 0.52 s.
    expect(frames.map((f) => f.index)).toEqual([0, 13, 25, 38]);
    frames.forEach((f) => expect(f.ptsSeconds).toBeCloseTo(f.index / 25, 3));
  });

  it('decodes keyframes only with -skip_frame nokey (GOP of 25 frames: one per second)', async () => {
    const frames = await collect(decodeVideo(clip, { keyframesOnly: true }));
    expect(frames.map((f) => f.ptsSeconds)).toEqual([0, 1]);
  });

  it('honours start and end, keeping timestamps relative to the start of the file', async () => {
    const frames = await collect(decodeVideo(clip, { startSeconds: 0.8, endSeconds: 1.2 }));
    expect(frames.length).toBeGreaterThanOrEqual(9);
    expect(frames.length).toBeLessThanOrEqual(11);
    expect(frames[0]!.ptsSeconds).toBeCloseTo(0.8, 2);
    expect(frames[frames.length - 1]!.ptsSeconds).toBeLessThan(1.25);
  });

  it('times frames past 1000 s to the millisecond, and a run from a start time gives them the timestamps a run from 0 does', async () => {
    // 3 fps: frames at k/3 s, which ffmpeg's showinfo would print as 1234.33 (6 significant digits).
    const long = makeClip('h264-16x16-1240s', { width: 16, height: 16, seconds: 1240, fps: 3, codec: CODECS.h264, ext: 'mp4' });
    const fromStart = await collect(decodeVideo(long, { startSeconds: 1234, endSeconds: 1236 }));
    expect(fromStart[1]!.ptsSeconds).toBeCloseTo(1234 + 1 / 3, 6);
    const fromEarlier = await collect(decodeVideo(long, { startSeconds: 1230.2, endSeconds: 1236 }));
    const same = fromEarlier.filter((f) => f.ptsSeconds >= 1234 - 1e-9 && f.ptsSeconds <= fromStart.at(-1)!.ptsSeconds);
    expect(same.map((f) => [f.index, f.ptsSeconds])).toEqual(fromStart.map((f) => [f.index, f.ptsSeconds]));
    // Sampling slots count from the start asked for, as before.
    const sampled = await collect(decodeVideo(long, { startSeconds: 1230.5, endSeconds: 1234, everySeconds: 1 }));
    expect(sampled.map((f) => Math.round(f.ptsSeconds * 3))).toEqual([3692, 3695, 3698, 3701]);
  });

  it('crops and resizes inside ffmpeg and records the source region the pixels show', async () => {
    const [frame] = await collect(
      decodeVideo(clip, { everySeconds: 10, crop: { widthFraction: 0.5, heightFraction: 1 }, outputSize: { width: 32, height: 24 } }),
    );
    expect(frame!.width).toBe(32);
    expect(frame!.sourceSize).toEqual({ width: 320, height: 240 });
    expect(frame!.region).toEqual({ x: 80, y: 0, width: 160, height: 240 });
    expect(
      filterChain(
        { width: 320, height: 240 },
        { everySeconds: 1, crop: { widthFraction: 0.5, heightFraction: 1 }, outputSize: { width: 32, height: 24 } },
      ).filters,
    ).toEqual([
      "select='isnan(prev_selected_t)+gt(floor(t/1+1e-6),floor(prev_selected_t/1+1e-6))'",
      'crop=160:240:80:0',
      'scale=32:24:flags=area',
      'showinfo',
    ]);
  });

  it('scales the whole picture down to fit a width, keeping the aspect ratio, and never scales up', async () => {
    const [frame] = await collect(decodeVideo(clip, { everySeconds: 10, fitWidth: 100 }));
    expect({ width: frame!.width, height: frame!.height }).toEqual({ width: 100, height: 75 });
    expect(frame!.pixels.length).toBe(100 * 75 * 3);
    expect(frame!.region).toEqual({ x: 0, y: 0, width: 320, height: 240 });
    // An odd height is fine for raw RGB; a picture narrower than the width keeps its size.
    expect(filterChain({ width: 320, height: 240 }, { fitWidth: 99 }).output).toEqual({ width: 99, height: 74 });
    expect(filterChain({ width: 320, height: 240 }, { fitWidth: 960 }).filters).toEqual(['showinfo']);
    expect(filterChain({ width: 320, height: 240 }, { fitWidth: 50, outputSize: { width: 32, height: 24 } }).output).toEqual({
      width: 32,
      height: 24,
    });
  });

  it('times variable-frame-rate video by its own timestamps, not by index / fps', async () => {
    // Timestamps stretch after the first second: frames 0..24 at 25 fps, then 12.5 fps.
    const vfr = makeClip('vfr-160x120', {
      width: 160,
      height: 120,
      seconds: 2,
      fps: 25,
      codec: [...CODECS.h264, '-vsync', 'vfr'],
      ext: 'mkv',
      filters: "setpts='if(lt(N,25),N/25,1+(N-25)/12.5)/TB'",
    });
    const frames = await collect(decodeVideo(vfr));
    expect(frames).toHaveLength(50);
    expect(frames[30]!.ptsSeconds).toBeCloseTo(1.4, 3);
    expect(frames[49]!.ptsSeconds).toBeCloseTo(2.92, 3);
    const sampled = await collect(decodeVideo(vfr, { everySeconds: 1 }));
    expect(sampled.map((f) => f.ptsSeconds)).toEqual([0, 1, 2.04]);
  });

  it.each([
    ['H.265 1280x720', 'h265-720p', { width: 1280, height: 720, seconds: 1, fps: 25, codec: CODECS.h265, ext: 'mp4' }],
    ['VP9 853x479', 'vp9-853x479', { width: 853, height: 479, seconds: 1, fps: 25, codec: CODECS.vp9, ext: 'webm' }],
    ['MJPEG 720x576', 'mjpeg-sd', { width: 720, height: 576, seconds: 1, fps: 25, codec: CODECS.mjpeg, ext: 'avi' }],
  ] as const)('decodes %s at every 0.2 s with the right count, size and timestamps', async (_name, name, spec) => {
    const path = makeClip(name, { ...spec, codec: [...spec.codec] });
    const frames = await collect(
      decodeVideo(path, { everySeconds: 0.2, crop: { widthFraction: 0.67, heightFraction: 1 }, outputSize: { width: 64, height: 64 } }),
    );
    expect(frames.map((f) => Number(f.ptsSeconds.toFixed(2)))).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(frames[0]!.sourceSize).toEqual({ width: spec.width, height: spec.height });
    expect(frames[0]!.region.width).toBe(Math.round(spec.width * 0.67));
  });

  it('gives the same frames pushed down into ffmpeg as through the sample and crop-resize operators (4K sample)', async () => {
    const input = join(SAMPLES, 'seafloor-4k.mp4');
    const crop = { widthFraction: 0.67, heightFraction: 1 };
    const size = { width: 128, height: 128 };
    const pushed = await collect(decodeVideo(input, { everySeconds: 0.5, crop, outputSize: size }));
    const plain = await lastValueFrom(decodeVideo(input).pipe(sampleEvery(0.5), cropResize(crop, size), toArray()));
    expect(pushed.map((f) => f.ptsSeconds)).toEqual(plain.map((f) => f.ptsSeconds));
    expect(pushed.map((f) => f.index)).toEqual(plain.map((f) => f.index));
    pushed.forEach((f, i) => {
      expect(f.region).toEqual(plain[i]!.region);
      expect(meanAbsDiff(f, plain[i]!)).toBeLessThan(4); // of 255: interpolation differences only
    });
  });

  it('kills ffmpeg when the subscriber unsubscribes', async () => {
    const input = join(SAMPLES, 'seafloor-sd.mp4');
    const first = await firstValueFrom(decodeVideo(input).pipe(take(2), toArray()));
    expect(first).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(childFfmpegCount()).toBe(0);
  });
});

describe('decodeVideo and probeVideo: bad calls', () => {
  it('reports a missing file as missing', async () => {
    await expect(collect(decodeVideo('/no/such/file.mp4'))).rejects.toThrow(/input not found/);
  });

  it('reports a zero-byte file as empty', async () => {
    const path = tmpFile('empty.mp4');
    writeFileSync(path, '');
    await expect(probeVideo(path)).rejects.toThrow(/empty \(0 bytes\)/);
  });

  it('reports random bytes as not video', async () => {
    const path = tmpFile('random.mp4');
    writeFileSync(path, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    await expect(probeVideo(path)).rejects.toBeInstanceOf(InputError);
  });

  it('reports a still image as a still image', async () => {
    const path = tmpFile('still.png');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x64:duration=0.04', '-frames:v', '1', path]);
    await expect(probeVideo(path)).rejects.toThrow(/still image/);
  });

  it('reports audio-only input as having no video stream', async () => {
    const path = tmpFile('audio.m4a');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.5', '-c:a', 'aac', path]);
    await expect(probeVideo(path)).rejects.toThrow(/no video stream \(it holds: audio\)/);
  });

  it('reports a codec this ffmpeg cannot decode by its fourcc', async () => {
    const path = tmpFile('unknown-codec.avi');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=5:duration=1', '-c:v', 'mjpeg', path]);
    writeFileSync(path, Buffer.from(readFileSync(path).toString('latin1').replaceAll('MJPG', 'ZQZQ'), 'latin1'));
    await expect(probeVideo(path)).rejects.toThrow(/unsupported video codec \(fourcc ZQZQ\)/);
  });

  it('decodes what it can of a truncated file, then fails with a decode error or ends early', async () => {
    const path = tmpFile('truncated.mp4');
    const bytes = readFileSync(join(SAMPLES, 'seafloor-sd.mp4'));
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const frames: Frame[] = [];
    const outcome = await new Promise<unknown>((resolve) =>
      decodeVideo(path, { everySeconds: 0.5 }).subscribe({
        next: (f) => frames.push(f),
        error: resolve,
        complete: () => resolve('complete'),
      }),
    );
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.length).toBeLessThan(20);
    if (outcome !== 'complete') expect(outcome).toBeInstanceOf(DecodeError);
  });

  it('goes on past corrupt packets mid-stream and counts them', async () => {
    const ts = tmpFile('corrupt.ts');
    copyFileSync(makeClip('h264-ts-320x240', { width: 320, height: 240, seconds: 2, fps: 25, codec: CODECS.h264, ext: 'ts' }), ts);
    const bytes = readFileSync(ts);
    // Overwrite a run of packets in the middle, keeping the 0x47 sync bytes so the demuxer carries on.
    for (let p = Math.floor(bytes.length / 2 / 188) * 188; p < bytes.length * 0.6; p += 188)
      for (let i = 4; i < 188; i++) bytes[p + i] = (i * 31) & 0xff;
    writeFileSync(ts, bytes);
    let stats: { corruptPackets: number } | undefined;
    const frames = await collect(decodeVideo(ts, { onEnd: (s) => (stats = s) }));
    expect(frames.length).toBeGreaterThan(30);
    expect(stats!.corruptPackets).toBeGreaterThan(0);
  });
});

function meanAbsDiff(a: Frame, b: Frame): number {
  let sum = 0;
  for (let i = 0; i < a.pixels.length; i++) sum += Math.abs(a.pixels[i]! - b.pixels[i]!);
  return sum / a.pixels.length;
}

function childFfmpegCount(): number {
  try {
    const names = execSync(`ps --ppid ${process.pid} -o comm=`, { encoding: 'utf8' });
    return names.split('\n').filter((name) => name.trim() === 'ffmpeg').length;
  } catch {
    return 0;
  }
}
