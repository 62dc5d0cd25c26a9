/**
 * Video in, RGB frames out: one ffmpeg process per subscription, killed on unsubscribe.
 *
 * Work is pushed down into ffmpeg's filter graph where it pays: sampling (`select`), the relative
 * centre crop (`crop`) and the resize to the model's input (`scale`) run there, so only model-sized
 * frames cross the pipe (a 4K RGB frame is 24.9 MB). The RxJS operators in src/operators/ remain the
 * definition of what happens; tests show both paths give the same frames.
 *
 * Timestamps come from the stream: a `showinfo` filter at the end of the graph reports the pts of each
 * frame we receive, so variable frame rate and missing frames are timed correctly. It sits after the
 * resize on purpose: showinfo checksums every pixel, which costs ~16 ms on a 4K frame.
 */
import { PassThrough, type Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { DecodeError, InputError, UsageError } from '../errors.js';
import { relativeCenterCrop, type RelativeCrop } from '../geometry.js';
import type { Frame, Rect, Size } from '../types.js';
import { binaryFailure, fluent } from './binaries.js';
import { chooseHwaccel, cuvidCropResize, type HwaccelRequest } from './hwaccel.js';
import { probeVideo, type VideoInfo } from './probe.js';
import { FlowControl } from './flow-control.js';

export interface DecodeOptions {
  /** Keep the first frame of every `everySeconds`-long slot of the timeline (0 or undefined: every frame). */
  everySeconds?: number;
  /** Decode keyframes only (`-skip_frame nokey`): a fast scan of long missions. */
  keyframesOnly?: boolean;
  startSeconds?: number;
  endSeconds?: number;
  /** Relative centre crop, done by ffmpeg. */
  crop?: RelativeCrop;
  /** Resize (after the crop) to this size, done by ffmpeg. */
  outputSize?: Size;
  /**
   * When outputSize is not given: scale the (cropped) picture down to at most this width, aspect
   * kept, never up (display pictures). Raw RGB output needs no even height.
   */
  fitWidth?: number;
  /** Read the input at its native rate (`-re`), so a file behaves like a camera. */
  realtime?: boolean;
  /** Extra ffmpeg input options (e.g. `-rtsp_transport tcp`). */
  inputOptions?: string[];
  /** What the input is, when the caller already probed it (live sources, several passes). */
  info?: VideoInfo;
  /** Pause decoding while this many frames are in flight downstream (see FlowControl). */
  flow?: FlowControl;
  /**
   * Hardware decoding: cuda decodes, crops and resizes with NVDEC when this ffmpeg and machine can;
   * otherwise (and for keyframes-only scans) software decoding, said once in a line. Default: none.
   */
  hwaccel?: HwaccelRequest;
  /** Where one-line notices go (the hardware-decoding fallback). Default: stderr. */
  notice?: (line: string) => void;
  /** Called when ffmpeg is running (its process started), before the first frame. */
  onStart?: () => void;
  /** Called once when decoding ends, with what ffmpeg reported. */
  onEnd?: (stats: DecodeStats) => void;
  /**
   * A file whose decoded frames stop short of its probed duration (a truncated recording): 'error'
   * ends with a DecodeError (exit 7) once every decoded frame is delivered; 'warn' says so and
   * completes. Left out: not checked (live sources have no duration).
   */
  truncation?: 'error' | 'warn';
  /** Why a truncated recording is accepted, in the 'warn' line. Default: 'accepted with --allow-truncated'. */
  truncationAccepted?: string;
}

export interface DecodeStats {
  frames: number;
  /** Decoder errors ffmpeg reported and concealed (corrupt packets); decoding went on. */
  corruptPackets: number;
  /** The last decoder error line, for the report. */
  lastError?: string;
  /** Set when the frames stopped short of the probed duration (seconds on the file's timeline). */
  truncated?: { decodedSeconds: number; expectedSeconds: number };
}

/**
 * A shortfall of the last decoded frame against the expected end, beyond what sampling explains:
 * max(2 s, 2 %) plus the sampling interval (the last sampled frame may sit up to one interval before
 * the end) and, for keyframes only, up to 10 s between keyframes.
 */
export function truncationShortfall(
  lastPtsSeconds: number | undefined,
  startSeconds: number,
  expectedEndSeconds: number,
  sampling: { everySeconds?: number; keyframesOnly?: boolean } = {},
): { decodedSeconds: number; expectedSeconds: number } | undefined {
  const expected = expectedEndSeconds - startSeconds;
  if (!(expected > 0) || !Number.isFinite(expected)) return undefined;
  const decoded = lastPtsSeconds === undefined ? 0 : Math.max(0, lastPtsSeconds - startSeconds);
  const tolerance = Math.max(2, 0.02 * expected) + (sampling.everySeconds ?? 0) + (sampling.keyframesOnly ? 10 : 0);
  return expected - decoded > tolerance ? { decodedSeconds: decoded, expectedSeconds: expected } : undefined;
}

/** The smallest crop worth decoding: below it there is nothing for a classifier to see. */
const MIN_CROP_PIXELS = 8;

const CORRUPT =
  /error while decoding|corrupt|concealing|invalid nal|decode_slice_header|missing picture|no frame!|invalid data found when processing input|illegal|overread|out of range intra/i;

/**
 * The ffmpeg filter chain for these options; exported for tests and for the README's explanation.
 * With an NVDEC `decoder`, the crop and resize move into the decoder's own options (`decoderOptions`,
 * given before the input) and the filters only sample and report timestamps.
 */
export function filterChain(
  source: Size,
  options: DecodeOptions,
  decoder?: string,
): { filters: string[]; region: Rect; output: Size; decoderOptions: string[] } {
  let region = options.crop ? relativeCenterCrop(source, options.crop) : { x: 0, y: 0, ...source };
  const fit = options.fitWidth;
  const output =
    options.outputSize ??
    (fit !== undefined && region.width > fit
      ? { width: Math.max(1, Math.round(fit)), height: Math.max(1, Math.round((region.height * fit) / region.width)) }
      : { width: region.width, height: region.height });
  const filters: string[] = [];
  const every = options.everySeconds ?? 0;
  if (every > 0) {
    // First frame of each slot [k*every, (k+1)*every): no drift over hours, unlike "every N s since the last".
    // The epsilon keeps a frame that sits exactly on a slot boundary (0.6 s / 0.2 s) in its own slot.
    // Timestamps are the input's own (see decodeVideo): slots count from the start time asked for.
    const since = (t: string) => (options.startSeconds ? `(${t}-${options.startSeconds})` : t);
    filters.push(`select='isnan(prev_selected_t)+gt(floor(${since('t')}/${every}+1e-6),floor(${since('prev_selected_t')}/${every}+1e-6))'`);
  }
  if (decoder) {
    const cuvid = cuvidCropResize(source, region, output);
    if (!cuvid.resized && (output.width !== cuvid.region.width || output.height !== cuvid.region.height)) {
      filters.push(`scale=${output.width}:${output.height}:flags=area`);
    }
    filters.push('showinfo');
    return { filters, region: cuvid.region, output, decoderOptions: ['-c:v', decoder, ...cuvid.options] };
  }
  if (region.width !== source.width || region.height !== source.height || region.x || region.y) {
    filters.push(`crop=${region.width}:${region.height}:${region.x}:${region.y}`);
  }
  if (output.width !== region.width || output.height !== region.height) {
    // `area` averages the covered source pixels when shrinking: the closest to sharp's default resize.
    filters.push(`scale=${output.width}:${output.height}:flags=area`);
  }
  filters.push('showinfo');
  return { filters, region, output, decoderOptions: [] };
}

/** Fallback reasons already said in this process: a folder of recordings gets the line once. */
const saidFallbacks = new Set<string>();

export function decodeVideo(input: string, options: DecodeOptions = {}): Observable<Frame> {
  return new Observable<Frame>((subscriber) => {
    let command: ReturnType<typeof fluent> | undefined;
    let finished = false;
    let stdout: Readable | undefined;

    const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
    const say = (line: string) => {
      if (saidFallbacks.has(line)) return;
      saidFallbacks.add(line);
      notice(line);
    };

    const start = async (allowHardware: boolean) => {
      const info = options.info ?? (await probeVideo(input, { keyframes: false }));
      if (subscriber.closed) return;
      let decoder: string | undefined;
      if (allowHardware && options.hwaccel && options.hwaccel !== 'none') {
        const choice = options.keyframesOnly
          ? { reason: 'a keyframes-only scan decodes in software' }
          : await chooseHwaccel(options.hwaccel, info.codec);
        decoder = choice.decoder;
        if (choice.reason) say(`rovlens: hardware decoding unavailable (${choice.reason}); decoding in software`);
        if (subscriber.closed) return;
      }
      finished = false;
      const source: Size = { width: info.width, height: info.height };
      const { filters, region, output, decoderOptions } = filterChain(source, options, decoder);
      // A crop that keeps almost nothing is the flag's fault, not the input's.
      if (options.crop && (region.width < MIN_CROP_PIXELS || region.height < MIN_CROP_PIXELS)) {
        throw new UsageError(
          `--crop: ${options.crop.widthFraction}x${options.crop.heightFraction} of ${source.width}x${source.height} keeps ${region.width}x${region.height} pixels; keep at least ${MIN_CROP_PIXELS}x${MIN_CROP_PIXELS}`,
        );
      }
      const frameBytes = output.width * output.height * 3;
      const startSeconds = options.startSeconds ?? 0;
      if (options.truncation && info.durationSeconds !== undefined && startSeconds >= info.durationSeconds) {
        throw new UsageError(`--start: ${startSeconds} s is past the end of ${input} (${info.durationSeconds.toFixed(1)} s)`);
      }

      const inputOptions = ['-hide_banner'];
      if (!isPipe(input)) inputOptions.push('-nostdin');
      if (options.keyframesOnly) inputOptions.push('-skip_frame', 'nokey');
      // From a start time, frames keep the input's own timestamps (-copyts, counted from the input's
      // first frame as without a seek): a run from 20 s gives its frames the very pts_time a run from
      // 0 gives them, so time chunks of a recording add up to the whole run exactly.
      if (startSeconds > 0) inputOptions.push('-ss', String(startSeconds), '-copyts', '-start_at_zero');
      if (options.realtime) inputOptions.push('-re');
      inputOptions.push(...(options.inputOptions ?? []), ...decoderOptions);
      const outputOptions = ['-an', '-sn', '-dn', '-vsync', '0', '-pix_fmt', 'rgb24'];
      if (options.endSeconds !== undefined) {
        // With -copyts the end is a position on the input's clock; ffmpeg stops at the same frame either way.
        if (startSeconds > 0) outputOptions.push('-to', String(options.endSeconds));
        else outputOptions.push('-t', String(Math.max(0, options.endSeconds - startSeconds)));
      }

      // Each delivered frame's number (showinfo's count) and pts, in delivery order.
      const delivered: { n: number; pts: string }[] = [];
      // showinfo prints pts_time with 6 significant digits (1234.57 for 1234.5678): past 1000 s the
      // time comes from the integer pts and the time base it states at the start instead.
      let timeBase: { num: number; den: number } | undefined;
      // When every decoded frame from the start reaches us, showinfo's count is the frame number;
      // otherwise (sampling, keyframes, a start time) it is estimated from time: exact at constant rate.
      const exactNumbers = !(options.everySeconds ?? 0) && !options.keyframesOnly && !startSeconds;
      const pendingPixels: Uint8Array[] = [];
      const stats: DecodeStats = { frames: 0, corruptPackets: 0 };
      const recentLines: string[] = [];
      let emitted = 0;
      let lastPtsSeconds: number | undefined;

      const emitReady = () => {
        while (pendingPixels.length && delivered.length) {
          const pixels = pendingPixels.shift()!;
          const { n, pts } = delivered.shift()!;
          const ptsSeconds = Number(pts);
          const frame: Frame = {
            sourceId: input,
            index: exactNumbers ? n : Math.round(ptsSeconds * info.fps),
            ptsSeconds,
            width: output.width,
            height: output.height,
            pixels,
            sourceSize: source,
            region,
            decodedAtMs: Date.now(),
          };
          emitted++;
          lastPtsSeconds = ptsSeconds;
          options.flow?.add();
          subscriber.next(frame);
        }
        if (options.flow?.full) stdout?.pause();
      };
      options.flow?.onDrain(() => stdout?.resume());

      // ffmpeg has exited (or failed): frames still in the pipe are delivered first, so a failure
      // part-way (a truncated file) loses nothing that was decoded.
      const finish = (error?: Error) => {
        if (finished) return;
        finished = true;
        // NVDEC refused this stream (a profile or size it does not do): nothing was delivered, so the
        // same decode starts again in software.
        if (error && decoder && emitted === 0 && !subscriber.closed) {
          say(`rovlens: hardware decoding failed on ${input} (${describeFailure(input, error, recentLines, 0).message.replace(/^cannot decode [^:]*: /, '')}); decoding in software`);
          start(false).catch((e) => subscriber.error(e));
          return;
        }
        const flush = () => {
          emitReady();
          stats.frames = emitted;
          // Decoding ended without an error: did it reach the end the file promises?
          const expectedEnd = Math.min(options.endSeconds ?? Infinity, info.durationSeconds ?? Infinity);
          const short = !error && options.truncation ? truncationShortfall(lastPtsSeconds, startSeconds, expectedEnd, options) : undefined;
          if (short) stats.truncated = short;
          options.onEnd?.(stats);
          const failure = error
            ? describeFailure(input, error, recentLines, emitted)
            : short && options.truncation === 'error'
              ? new DecodeError(`${truncatedMessage(input, short, stats)} (rows for what was decoded are written; --allow-truncated accepts it)`)
              : undefined;
          if (failure) afterInFlight(options.flow, () => subscriber.error(failure));
          else {
            const accepted = options.truncationAccepted ?? 'accepted with --allow-truncated';
            if (short) notice(`rovlens: warning: ${truncatedMessage(input, short, stats)} (${accepted})`);
            subscriber.complete();
          }
        };
        if (stdout && !stdout.readableEnded && !stdout.destroyed) stdout.once('end', flush);
        else flush();
      };

      command = fluent(isPipe(input) ? process.stdin : input)
        .inputOptions(inputOptions)
        .videoFilters(filters)
        .outputOptions(outputOptions)
        .format('rawvideo')
        // fluent-ffmpeg spawns after an asynchronous set-up, so kill() can come before there is a
        // process to kill: a teardown that came first is carried out as soon as it starts.
        .on('start', () => {
          if (subscriber.closed) command?.kill('SIGKILL');
          else options.onStart?.();
        })
        .on('stderr', (line: string) => {
          const m = /^\[Parsed_showinfo_\d+ @[^\]]*\] n:\s*(\d+) pts:\s*(-?\d+)\s+pts_time:(\S+)/.exec(line);
          if (m) {
            const exact = timeBase ? String((Number(m[2]) * timeBase.num) / timeBase.den) : m[3]!;
            delivered.push({ n: Number(m[1]), pts: exact });
            emitReady();
            return;
          }
          const base = /^\[Parsed_showinfo_\d+ @[^\]]*\] config in time_base: (\d+)\/(\d+)/.exec(line);
          if (base && Number(base[2]) > 0) timeBase = { num: Number(base[1]), den: Number(base[2]) };
          if (CORRUPT.test(line)) {
            stats.corruptPackets++;
            stats.lastError = line.replace(/^\[[^\]]*\]\s*/, '').trim();
          }
          recentLines.push(line);
          if (recentLines.length > 20) recentLines.shift();
        })
        .on('error', (error: Error) => finish(error))
        .on('end', () => finish());

      // fluent-ffmpeg takes its output stream's 'close' for the end of ffmpeg when the process's exit
      // does not follow within 20 ms, and then reports "Output stream closed" and stops a decoder that
      // was finishing normally (a loaded machine is enough). A stream that never emits 'close' leaves
      // the verdict to the exit code.
      const rawFrames = new PassThrough({ emitClose: false });
      command.pipe(rawFrames);
      stdout = rawFrames;
      let current = Buffer.allocUnsafe(frameBytes);
      let filled = 0;
      stdout.on('data', (chunk: Buffer) => {
        let offset = 0;
        while (offset < chunk.length) {
          const take = Math.min(frameBytes - filled, chunk.length - offset);
          chunk.copy(current, filled, offset, offset + take);
          filled += take;
          offset += take;
          if (filled === frameBytes) {
            pendingPixels.push(new Uint8Array(current.buffer, current.byteOffset, frameBytes));
            current = Buffer.allocUnsafe(frameBytes);
            filled = 0;
          }
        }
        emitReady();
      });
      stdout.on('error', () => undefined);
    };

    start(true).catch((error) => subscriber.error(error));

    return () => {
      finished = true;
      if (command) {
        try {
          command.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    };
  });
}

/**
 * An error tears down every stage at once, so frames still being inferred would be lost: it is sent
 * once the frames in flight are finished, or once they stop being finished (a stage that holds frames
 * back until the stream ends, as the overlay masker's first window does, would otherwise wait for ever).
 */
function afterInFlight(flow: FlowControl | undefined, then: () => void, stillMs = 1000): void {
  let pending = flow?.pending ?? 0;
  let changedAt = Date.now();
  const check = () => {
    const now = flow?.pending ?? 0;
    if (now !== pending) ((pending = now), (changedAt = Date.now()));
    if (now === 0 || Date.now() - changedAt > stillMs) then();
    else setTimeout(check, 10);
  };
  check();
}

function truncatedMessage(input: string, short: { decodedSeconds: number; expectedSeconds: number }, stats: DecodeStats): string {
  const concealed = stats.corruptPackets ? `, ${stats.corruptPackets} decoder errors concealed` : '';
  return `${input}: decoded ${short.decodedSeconds.toFixed(1)} of ${short.expectedSeconds.toFixed(1)} s${concealed}; the recording looks truncated`;
}

function isPipe(input: string): boolean {
  return input === '-' || input === 'pipe:0';
}

/** ffmpeg's failure as one line: bad input before any frame, a decode failure after some. */
function describeFailure(input: string, error: Error, recent: string[], emitted: number): Error {
  const setup = binaryFailure(error, 'ffmpeg');
  if (setup) return setup;
  const meaningful = [...recent]
    .reverse()
    .find((l) => !/^\s*(Stream|Input|Output|Duration|Metadata|configuration|lib|built|encoder|Press)/.test(l.trim()) && l.trim());
  const detail = (meaningful ?? error.message).replace(/^\[[^\]]*\]\s*/, '').trim();
  if (emitted === 0) return new InputError(`cannot decode ${input}: ${detail}`);
  return new DecodeError(`decoding ${input} stopped after ${emitted} frames: ${detail}`);
}
