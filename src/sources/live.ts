/**
 * A live source: frames from a stream, a capture device, stdin or a file played in real time, plus
 * status events, over `decodeVideo`. When a stream fails, ends or stalls (no frame for
 * `stallTimeoutSeconds`), the ffmpeg process is killed and the source is reconnected with exponential
 * backoff; frames resume when the source returns. Files and stdin cannot come back: when they end,
 * the source ends.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Observable, defer, finalize, from, map, switchMap, throwError, timeout, type Subscription } from 'rxjs';
import type { LiveSourceOptions } from '../config/live.js';
import { InputError, SourceError, oneLine } from '../errors.js';
import type { RelativeCrop } from '../geometry.js';
import type { Frame, Size } from '../types.js';
import { ffmpegPath } from './binaries.js';
import { decodeVideo } from './ffmpeg.js';
import type { HwaccelRequest } from './hwaccel.js';
import { checkInputFile, probeVideo, type VideoInfo } from './probe.js';

export type SourceState = 'connecting' | 'live' | 'stalled' | 'reconnecting' | 'ended' | 'failed';

export type LiveSourceKind = 'stream' | 'device' | 'stdin' | 'file';

export interface LiveStatus {
  state: SourceState;
  /** Failed attempts in a row (1-based) while reconnecting; 0 otherwise. */
  attempt: number;
  retryInSeconds?: number;
  message?: string;
}

export type LiveEvent = { type: 'frame'; frame: Frame } | { type: 'status'; status: LiveStatus };

export interface LiveDecodeOptions {
  crop?: RelativeCrop;
  outputSize?: Size;
  /** Without outputSize: scale down to at most this width, aspect kept (the viewer's whole-frame picture). */
  fitWidth?: number;
  /** Hardware decoding (see DecodeOptions.hwaccel). */
  hwaccel?: HwaccelRequest;
  /** Called when ffmpeg runs, at each connection (see DecodeOptions.onStart). */
  onStart?: () => void;
}

export function sourceKind(input: string): LiveSourceKind {
  if (input === '-' || input === 'pipe:0' || input === 'pipe:') return 'stdin';
  if (input.startsWith('/dev/')) return 'device';
  if (/^[a-z][a-z0-9+.-]*:/i.test(input) && !/^file:/i.test(input)) return 'stream';
  return 'file';
}

/** ffmpeg input options for this kind of source (before the user's own). */
export function inputOptionsFor(input: string, options: Pick<LiveSourceOptions, 'rtspTransport' | 'inputOptions' | 'realtime'>): string[] {
  const kind = sourceKind(input);
  const out: string[] = [];
  if (kind === 'stream' || kind === 'device') {
    // Hand frames on as soon as they are decoded: no demuxer buffering, no decoder reordering delay,
    // and at most 0.2 s of stream analysis before the first frame (ffmpeg's default is 5 s).
    out.push('-fflags', 'nobuffer', '-flags', 'low_delay', '-analyzeduration', '200000');
  } else if (kind === 'stdin') {
    // The same bounds, but the packets read while analysing are kept: a pipe's first keyframe is
    // already waiting in it (the probe's prefix is put back), and `nobuffer` would drop that whole
    // first group of pictures. 2 MB still holds a 4K keyframe.
    out.push('-flags', 'low_delay', '-analyzeduration', '200000', '-probesize', '2000000');
  }
  if (/^rtsps?:/i.test(input)) out.push('-rtsp_transport', options.rtspTransport);
  if (kind === 'device' && !options.inputOptions.includes('-f')) out.push('-f', 'v4l2');
  return [...out, ...options.inputOptions];
}

/** Exponential backoff: initial, 2x, 4x, ... capped at max. `attempt` is 1-based. */
export function backoffSeconds(attempt: number, initialSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, initialSeconds * 2 ** Math.max(0, attempt - 1));
}

export function liveSource(input: string, options: LiveSourceOptions, decode: LiveDecodeOptions = {}): Observable<LiveEvent> {
  const kind = sourceKind(input);
  if (kind === 'file') checkInputFile(input);
  const inputOptions = inputOptionsFor(input, options);
  const realtime = kind === 'file' && options.realtime;

  return new Observable<LiveEvent>((subscriber) => {
    // Per subscription: failed attempts in a row, the running decoder, the pending retry.
    let attempt = 0;
    let current: Subscription | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let spilledFile: string | undefined;
    // A stream's timestamps and frame numbers start again at each connection. The session keeps one
    // clock: a reconnected stream continues from the last frame plus the time it was away, so a
    // recording (--record) and the viewer's timeline never go backwards.
    let frames = 0;
    let last: { ptsSeconds: number; atMs: number } | undefined;
    const status = (s: LiveStatus) => subscriber.next({ type: 'status', status: s });

    const connect = () => {
      let gotFrame = false;
      let offsetSeconds: number | undefined;
      if (attempt === 0) status({ state: 'connecting', attempt: 0 });
      const decoded = defer(() => {
        // Unsubscribing (a stall, the end of the run) kills a probe still waiting on a silent source.
        const abort = new AbortController();
        return from(probeLive(input, kind, inputOptions, options.connectTimeoutSeconds, abort.signal)).pipe(finalize(() => abort.abort()));
      }).pipe(
        switchMap(({ info, spilled }) => {
          if (spilled) spilledFile = spilled;
          // Frames keep the name the user gave (stdin stays '-'), whatever ffmpeg reads.
          const frames = decodeVideo(spilled ?? input, { info, inputOptions, realtime, ...decode });
          return spilled ? frames.pipe(map((frame) => ({ ...frame, sourceId: input }))) : frames;
        }),
        timeout({
          first: options.connectTimeoutSeconds * 1000,
          each: options.stallTimeoutSeconds * 1000,
          with: () =>
            throwError(
              () =>
                new StallError(
                  gotFrame
                    ? `no frame for ${options.stallTimeoutSeconds} s`
                    : `no frame within ${options.connectTimeoutSeconds} s of connecting`,
                ),
            ),
        }),
      );
      current = decoded.subscribe({
        next: (frame) => {
          if (!gotFrame) {
            gotFrame = true;
            attempt = 0;
            status({ state: 'live', attempt: 0 });
          }
          if (kind === 'stream' || kind === 'device') {
            offsetSeconds ??= last ? last.ptsSeconds + (Date.now() - last.atMs) / 1000 - frame.ptsSeconds : 0;
            frame = { ...frame, ptsSeconds: frame.ptsSeconds + offsetSeconds, index: frames };
            last = { ptsSeconds: frame.ptsSeconds, atMs: Date.now() };
          }
          frames++;
          subscriber.next({ type: 'frame', frame });
        },
        error: (error) => retry(error, gotFrame),
        complete: () => {
          if (kind === 'stream' || kind === 'device') return retry(new Error('the stream ended'), gotFrame);
          status({ state: 'ended', attempt: 0, message: kind === 'file' ? 'end of file' : 'end of input' });
          subscriber.complete();
        },
      });
    };

    const retry = (error: unknown, gotFrame: boolean) => {
      current = undefined;
      const message = oneLine(error);
      // A file or stdin does not come back: its failure is final, reported with its own error type.
      if (kind === 'file' || kind === 'stdin') {
        status({ state: 'failed', attempt: 0, message });
        subscriber.error(gotFrame || !(error instanceof StallError) ? error : new InputError(`${input}: ${message}`));
        return;
      }
      attempt++;
      if (error instanceof StallError && gotFrame) status({ state: 'stalled', attempt: 0, message });
      if (options.maxRetries !== undefined && attempt > options.maxRetries) {
        status({ state: 'failed', attempt, message });
        subscriber.error(
          new SourceError(`${input}: ${message}; gave up after ${options.maxRetries} ${options.maxRetries === 1 ? 'retry' : 'retries'}`),
        );
        return;
      }
      const delay = backoffSeconds(attempt, options.reconnectInitialSeconds, options.reconnectMaxSeconds);
      status({ state: 'reconnecting', attempt, retryInSeconds: delay, message });
      retryTimer = setTimeout(connect, delay * 1000);
    };

    connect();
    return () => {
      clearTimeout(retryTimer);
      current?.unsubscribe();
      if (spilledFile) rmSync(dirname(spilledFile), { recursive: true, force: true });
    };
  });
}

class StallError extends Error {}

/**
 * What the source is. Files use the shared probe. Streams, devices and stdin are probed by ffmpeg
 * itself, reading only until it has printed the input's streams, and killed after `timeoutSeconds`
 * (a silent UDP port would keep it waiting for ever); the bundled ffprobe is not used for them
 * because it crashes when it joins an H.264 stream between keyframes. Stdin is probed on a prefix
 * that is then put back, since stdin cannot be read twice.
 */
async function probeLive(
  input: string,
  kind: LiveSourceKind,
  inputOptions: string[],
  timeoutSeconds: number,
  signal: AbortSignal,
): Promise<{ info: VideoInfo; spilled?: string }> {
  if (kind === 'file') return { info: await probeVideo(input, { keyframes: false }) };
  if (kind === 'stdin') {
    // A real-time pipe brings its bytes at the camera's pace: half a second of them (from the first
    // byte) is probed, so the first result comes within about a second; a stream that needs more
    // (joined between keyframes) gets up to 4 MB or 3 s more.
    let { prefix, ended } = await readStdinPrefix(1 << 20, 500);
    const spill = async () => {
      // All of stdin fit in the prefix (a short clip piped in): ffmpeg reads it from a file instead,
      // since an ended stdin cannot be handed on.
      const spilled = join(mkdtempSync(join(tmpdir(), 'rovlens-stdin-')), 'stdin');
      writeFileSync(spilled, prefix);
      return { info: await ffmpegProbe(spilled, inputOptions, timeoutSeconds, signal), spilled };
    };
    if (ended) return spill();
    try {
      try {
        return { info: await ffmpegProbe('pipe:0', inputOptions, timeoutSeconds, signal, prefix) };
      } catch (error) {
        if (signal.aborted || error instanceof StallError) throw error;
        const more = await readStdinPrefix((4 << 20) - prefix.length, 3000);
        prefix = Buffer.concat([prefix, more.prefix]);
        if (more.ended) {
          ended = true;
          return await spill();
        }
        return { info: await ffmpegProbe('pipe:0', inputOptions, timeoutSeconds, signal, prefix) };
      }
    } finally {
      if (!ended) process.stdin.unshift(prefix);
    }
  }
  return { info: await ffmpegProbe(input, inputOptions, timeoutSeconds, signal) };
}

/** The first video stream of ffmpeg's input listing, e.g. "Stream #0:0[0x100]: Video: h264 (...), yuv420p, 1920x1080 [SAR 1:1], 29.97 fps, ...". */
const VIDEO_STREAM =
  /Stream #0:\d+.*?: Video: (\w+)[^\n]*?, (\d{1,5})x(\d{1,5})(?:[ ,\[][^\n]*?(?:, ([\d.]+) fps)?)?(?:[^\n]*?, ([\d.]+) tbr)?/;

function ffmpegProbe(
  input: string,
  inputOptions: string[],
  timeoutSeconds: number,
  signal: AbortSignal,
  stdinData?: Buffer,
): Promise<VideoInfo> {
  return new Promise((resolve, reject) => {
    const args = [
      '-hide_banner',
      ...(stdinData ? [] : ['-nostdin']),
      ...inputOptions,
      '-i',
      input,
      '-map',
      '0:v:0',
      '-frames:v',
      '1',
      '-f',
      'null',
      '-',
    ];
    const child = spawn(ffmpegPath(), args, { stdio: [stdinData ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let err = '';
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      outcome();
    };
    const timer = setTimeout(
      () => finish(() => reject(new StallError(`no answer from ${input} within ${timeoutSeconds} s`))),
      timeoutSeconds * 1000,
    );
    signal.addEventListener('abort', () => finish(() => reject(new Error('probe cancelled'))), { once: true });
    child.stderr!.on('data', (d) => {
      err += d;
      // The input listing is complete once ffmpeg moves on to its output.
      const listing = /\n(Stream mapping:|Output #0)/.exec(err);
      if (!listing) return;
      const m = VIDEO_STREAM.exec(err.slice(0, listing.index));
      if (!m) return finish(() => reject(new InputError(`${input} has no video stream`)));
      const fps = Number(m[4] ?? m[5] ?? 0) || 25;
      finish(() =>
        resolve({
          input,
          container: 'live',
          codec: m[1]!,
          width: Number(m[2]),
          height: Number(m[3]),
          fps,
          variableFrameRate: false,
          startSeconds: 0,
          rotation: 0,
        }),
      );
    });
    child.on('error', (error) => finish(() => reject(error)));
    if (stdinData) {
      child.stdin!.on('error', () => undefined); // ffmpeg may stop reading early
      child.stdin!.end(stdinData);
    }
    child.on('close', () => {
      const why =
        err
          .trim()
          .split('\n')
          .pop()
          ?.replace(/^.*?: /, '') || 'no video stream';
      finish(() => reject(new InputError(`cannot read ${input} as video: ${why}`)));
    });
  });
}

/** Up to `maxBytes` of stdin, or what arrived within `waitMs`, or all of it when it ends sooner. */
function readStdinPrefix(maxBytes: number, waitMs: number): Promise<{ prefix: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    const onEnd = () => {
      ended = true;
      done();
    };
    const done = () => {
      clearTimeout(timer);
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.pause();
      resolve({ prefix: Buffer.concat(chunks), ended });
    };
    // The wait counts from the first byte: a producer that takes its time to start is not cut short.
    let timer: NodeJS.Timeout | undefined;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      timer ??= setTimeout(done, waitMs);
      if (size >= maxBytes) done();
    };
    process.stdin.on('data', onData);
    process.stdin.once('end', onEnd);
    process.stdin.resume();
  });
}
