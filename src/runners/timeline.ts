/**
 * One `rovlens timeline` run: inputs (globs expanded, missing ones reported), their outputs planned
 * and checked before decoding, the model opened while the first input is probed, each input through
 * the pipeline into the sinks, with flow control, progress, Ctrl-C and a summary line per input.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import fg from 'fast-glob';
import {
  catchError,
  concat,
  concatMap,
  defer,
  EMPTY,
  finalize,
  from,
  ignoreElements,
  Observable,
  switchMap,
  tap,
  type MonoTypeOperatorFunction,
} from 'rxjs';
import type { TimelineOptions } from '../config/timeline.js';
import { ExitCode, InputError, UsageError } from '../errors.js';
import { DEFAULT_MODEL } from '../paths.js';
import { openWithCams } from '../model-building/add-cam-outputs.js';
import { modelOrBundled } from '../model/bundled.js';
import { loadModelCard } from '../model/card.js';
import { heatmapReliability, reliabilityLine } from '../model/heatmap-reliability.js';
import type { ModelSession } from '../model/session.js';
import { checkCamTargets } from '../operators/grad-cam.js';
import { isFolderPath, overlayMaskers, overlayMaskPath, writeOverlayMask } from '../overlay/mask-file.js';
import { overlaySummary, type OverlayMasker } from '../overlay/masker.js';
import { TrackMap } from '../sinks/geojson.js';
import { writeSegments } from '../sinks/segments.js';
import { writeTimeline } from '../sinks/timeline.js';
import type { DecodeStats } from '../sources/ffmpeg.js';
import { FlowControl } from '../sources/flow-control.js';
import { checkInputFile, isUrl, probeVideo, type VideoInfo } from '../sources/probe.js';
import type { FrameResult } from '../types.js';
import { timelinePipeline, type TimelineContext, type TimelineStages } from '../../pipelines/timeline.js';
import { runHeaderLine } from '../exports/run-file.js';
import { timelineRunHeader } from './timeline-header.js';
import { estimateRecordingOverlay } from './overlay-prepass.js';
import { TimelineExports } from '../exports/timeline-exports.js';
import { NavJoin } from './nav-join.js';
import { Progress } from './progress.js';
import { checkOutputPlan, modelInputs } from './output-plan.js';
import { reportError } from './report.js';
import { decodeStart, startBeforeLoad } from './start-up.js';

/** Each stage's options from the command's: the pipeline sees these, never the whole options object. */
export function timelineStages(options: TimelineOptions): TimelineStages {
  return {
    decode: {
      everySeconds: options.every,
      keyframesOnly: options.keyframes,
      startSeconds: options.start,
      endSeconds: options.end,
      hwaccel: options.hwaccel,
      truncation: options.allowTruncated ? 'warn' : 'error',
      pushdown: options.pushdown,
      ...(options.crop ? { crop: options.crop } : {}),
    },
    skipDuplicates: { enabled: options.skipDuplicates },
    infer: { batchSize: options.batch, uncertainBelow: options.uncertainBelow },
    gradCam: { threshold: options.camThreshold, thresholdMethod: options.camMethod, fallback: options.camFallback, also: options.camAlso },
  };
}

/** Literal paths stay as given (so a missing file is reported as missing); globs expand. */
async function expandInputs(patterns: string[]): Promise<string[]> {
  const inputs: string[] = [];
  for (const pattern of patterns) {
    if (existsSync(pattern) || isUrl(pattern) || !fg.isDynamicPattern(pattern)) {
      inputs.push(pattern);
      continue;
    }
    const matches = (await fg(pattern, { onlyFiles: true })).sort();
    if (!matches.length) throw new InputError(`no files match ${pattern}`, 'missing');
    inputs.push(...matches);
  }
  return inputs;
}

interface OutputPlan {
  /** Timeline file for an input; undefined means stdout. */
  timeline(input: string): string | undefined;
  segments(input: string): string | undefined;
  /** All inputs go into one file (a single -o file, or stdout); otherwise one file per input in a folder. */
  shared: boolean;
}

/** The names `-o <folder>/` gives each input: the file's stem, then -2, -3 for stems met again (other folders). */
export function fileStems(inputs: readonly string[]): Map<string, string> {
  const stems = new Map<string, string>();
  const used = new Map<string, number>();
  for (const input of inputs) {
    const base = basename(input, extname(input)) || 'stream';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    stems.set(input, n === 1 ? base : `${base}-${n}`);
  }
  return stems;
}

function planOutputs(inputs: readonly string[], options: TimelineOptions): OutputPlan {
  const ext = options.format === 'csv' ? '.csv' : '.jsonl';
  const out = options.output;
  const isDir = out !== undefined && (out.endsWith('/') || (existsSync(out) && statSync(out).isDirectory()));
  if (!isDir) return { timeline: () => out, segments: () => options.segments, shared: true };
  if (options.segments !== undefined) {
    throw new UsageError('--segments: with a folder output, each input gets its segments file in that folder; leave --segments out');
  }
  const stems = fileStems(inputs);
  return {
    timeline: (input) => join(out, `${stems.get(input)}.timeline${ext}`),
    segments: (input) => join(out, `${stems.get(input)}.segments.csv`),
    shared: false,
  };
}

type Pipeline = (ctx: TimelineContext) => Observable<FrameResult>;
/** One more output from a `--pipeline` module, attached after the runner's own sinks. */
type Sink = (ctx: { card: ModelSession['card']; inputs: readonly string[] }) => MonoTypeOperatorFunction<FrameResult>;

/** For a caller that runs the timeline inside its own process (the queue worker runs a chunk so). */
export interface TimelineHooks {
  /** Each result, in order, as the sinks get it. */
  onResult?: (result: FrameResult) => void;
  /** An input's failure, besides the line on stderr. */
  onError?: (error: unknown) => void;
  /** Stops the run as Ctrl-C does; when given, SIGINT and SIGTERM are left to the caller. */
  signal?: AbortSignal;
}

export async function runTimeline(patterns: string[], options: TimelineOptions, hooks: TimelineHooks = {}): Promise<number> {
  // Missing inputs are reported up front; the others still run. None left: nothing is written.
  let missing: number = ExitCode.ok;
  const inputs = (await expandInputs(patterns)).filter((input) => {
    try {
      checkInputFile(input);
      return true;
    } catch (error) {
      missing = reportError(error);
      return false;
    }
  });
  if (!inputs.length) return missing;
  // Every output is resolved and checked here, before hours of decoding (the output plan's place).
  const plan = planOutputs(inputs, options);
  if (options.videoStart && inputs.length > 1) {
    throw new UsageError("--video-start: one start for several inputs; leave it out and each file's creation_time is used");
  }
  // Said before hours of decoding: an output that is an input or another output, or cannot be written.
  checkOutputPlan(
    [
      ...inputs.map((path) => ({ flag: 'input', path })),
      ...(options.nav !== undefined ? [{ flag: '--nav', path: options.nav }] : []),
      ...modelInputs(options.model ?? DEFAULT_MODEL),
      ...(options.pipeline !== undefined ? [{ flag: '--pipeline', path: options.pipeline }] : []),
      ...(options.ifdoHeader !== undefined ? [{ flag: '--ifdo-header', path: options.ifdoHeader }] : []),
    ],
    [
      ...(options.output === undefined
        ? []
        : plan.shared
          ? [{ flag: '-o', path: options.output, kind: 'file' as const }]
          : [
              {
                flag: '-o',
                path: options.output,
                kind: 'folder' as const,
                files: inputs.flatMap((i) => [plan.timeline(i)!, plan.segments(i)!]),
              },
            ]),
      ...(options.segments !== undefined ? [{ flag: '--segments', path: options.segments, kind: 'file' as const }] : []),
      ...(options.geojson !== undefined ? [{ flag: '--geojson', path: options.geojson, kind: 'file' as const }] : []),
      ...(options.export ?? []).map((target) => ({ flag: '--export', path: target.path, kind: 'file' as const })),
    ],
  );
  // A --cam-also head or class the model lacks is said from its card, before the model loads.
  checkCamTargets(loadModelCard(modelOrBundled(options.model)).card, options.camAlso ?? []);
  if (options.saveOverlayMask !== undefined) {
    if (options.overlayMask === 'off') throw new UsageError('--save-overlay-mask: there is no mask with --overlay-mask off');
    if (inputs.length > 1 && !isFolderPath(options.saveOverlayMask)) {
      throw new UsageError('--save-overlay-mask: several inputs, one mask each; give a folder (ending in /)');
    }
  }
  const overlay = await overlayMaskers(options.overlayMask, { refresh: 'once' });
  const nav = NavJoin.open(options);
  const position = nav?.position;
  if (options.geojson !== undefined && !position) {
    throw new UsageError(`--geojson: ${options.nav} has no latitude and longitude columns among those joined (${nav!.fields.join(', ')})`);
  }
  // Start-up overlapped: the first input is probed while the model's card is read and its graph
  // checked (each next input while the one before it runs); the session is created once ffmpeg
  // decodes the first input. Models exported without CAM outputs but with a pooling-plus-linear head
  // get them added (exact Grad-CAM); other pooling heads get their feature map as an output (Score-CAM).
  const probes = new ProbeAhead(inputs);
  const model = await openWithCams(modelOrBundled(options.model), {
    device: options.device,
    features: options.camFallback === 'score-cam',
    deferLoad: true,
  });
  try {
    checkCamTargets(model.card, options.camAlso ?? []);
  } catch (error) {
    await model.close();
    throw error;
  }
  // The box, peak and area columns stay (they are data); where the card says the heatmap behind them
  // points no better than the centre, the run says so once, with the figures.
  const reliability = model.card.heads.element ? heatmapReliability(model.card) : undefined;
  if (reliability && !reliability.reliable && !options.quiet)
    process.stderr.write(`rovlens: ${reliabilityLine(reliability)}: read the element box, peak and area columns with that in mind\n`);
  const { pipeline, sink } = options.pipeline ? await loadPipeline(options.pipeline) : { pipeline: timelinePipeline, sink: undefined };
  // One map for all inputs of the run, written once they are done (or interrupted).
  const map =
    options.geojson !== undefined
      ? new TrackMap(Object.keys(model.card.heads), { ...position!, minSegmentSeconds: options.minSegment })
      : undefined;
  const exports = options.export?.length ? new TimelineExports(options.export, options.ifdoHeader) : undefined;
  const run = new TimelineRun(options, model, { pipeline, sink, probes, overlay }, nav, map, exports, hooks);
  try {
    // A model that cannot load stops the run here, before any output is opened.
    await run.startFirst(inputs[0]!);
    if (plan.shared) {
      if (!run.interrupted) await run.into(inputs, plan.timeline(inputs[0]!), plan.segments(inputs[0]!));
    } else for (const input of inputs) if (!run.interrupted) await run.into([input], plan.timeline(input), plan.segments(input));
    if (map) map.write(options.geojson!);
    if (exports) {
      const written = await exports.write();
      if (!options.quiet && written.length) process.stderr.write(`rovlens: exported ${written.join(', ')}\n`);
    }
  } finally {
    run.dispose();
    await model.close();
  }
  return run.interrupted ? ExitCode.interrupted : Math.max(run.exitCode, missing);
}

/** Runs inputs through the pipeline into sinks; a bad input is reported in one line and the next one runs. */
class TimelineRun {
  exitCode: number = ExitCode.ok;
  interrupted = false;
  private stopCurrent: (() => void) | undefined;
  private readonly onSignal = () => {
    this.interrupted = true;
    this.stopCurrent?.();
  };

  constructor(
    private readonly options: TimelineOptions,
    private readonly model: ModelSession,
    private readonly stages: { pipeline: Pipeline; sink: Sink | undefined; probes: ProbeAhead; overlay: (() => OverlayMasker) | undefined },
    private readonly nav: NavJoin | undefined,
    private readonly map: TrackMap | undefined,
    private readonly exports: TimelineExports | undefined,
    private readonly hooks: TimelineHooks = {},
  ) {
    if (hooks.signal) {
      if (hooks.signal.aborted) this.interrupted = true;
      hooks.signal.addEventListener('abort', this.onSignal);
      return;
    }
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  dispose(): void {
    this.hooks.signal?.removeEventListener('abort', this.onSignal);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    this.started?.cancel();
    this.started = undefined;
  }

  /** The first input, already decoding while the model's session is created. */
  private started: (Begun & { cancel: () => void }) | undefined;

  /**
   * Starts decoding the first input, then creates the model's session once ffmpeg runs (or the
   * pipeline asks for the model, or the input ends first): session creation holds the event loop,
   * and ffmpeg decodes meanwhile. Its results wait until `into` takes them.
   */
  async startFirst(input: string): Promise<void> {
    const begun = this.begin(input);
    const early = await startBeforeLoad(begun.source, this.model, begun.decodeStarted);
    this.started = { ...begun, source: early.output, cancel: early.cancel };
  }

  /** One input's pipeline, not yet subscribed: its flow control and what it reports. */
  private begin(input: string): Begun {
    const { options, model } = this;
    const flow = new FlowControl(Math.max(8, options.batch * 2));
    const state: Begun['state'] = {};
    const overlay = this.stages.overlay?.();
    const decode = decodeStart();
    const source = from(this.stages.probes.info(input)).pipe(
      switchMap((info) => {
        // --overlay-mask auto: the recording's mask, from frames spread over all of it. Its seeks
        // are mostly waiting (process start-up, a seek, one GOP), so the run decodes meanwhile and
        // its frames wait for the mask before they are masked and classified.
        if (overlay && options.overlayMask === 'auto') {
          const crop = options.crop ?? model.card.crop;
          const size = { width: model.card.input.width, height: model.card.input.height };
          overlay.prepare(estimateRecordingOverlay(overlay, input, info, { crop, size }, { keyframesOnly: options.keyframes }));
          // Frames the model's size (ffmpeg crops and resizes) are small: 64 of them, about 10 MB,
          // may wait for the mask, so the decoder is not paused while the pre-pass runs.
          if (options.pushdown) flow.allowMore(64, overlay.pending!);
        }
        state.info = info;
        state.onInfo?.(info);
        const nav = this.nav?.forVideo(info);
        const stages = timelineStages(options);
        return this.stages.pipeline({
          input,
          info,
          model,
          stages,
          flow,
          nav,
          overlay,
          onDecodeStart: decode.onStart,
          onDecodeEnd: (s) => (state.decodeStats = s),
        });
      }),
    );
    return { input, flow, state, source, decodeStarted: decode.started, overlay };
  }

  private fail(error: unknown): void {
    this.hooks.onError?.(error);
    this.exitCode = Math.max(this.exitCode, reportError(error));
  }

  /** One input's results, with progress and a summary line; errors are reported, not thrown. */
  private results(input: string): Observable<FrameResult> {
    const { options } = this;
    return defer(() => {
      const progress = new Progress(input, options.quiet);
      const begun = this.started?.input === input ? this.started : this.begin(input);
      if (begun === this.started) this.started = undefined;
      const { flow, state, overlay } = begun;
      let frames = 0;
      let reused = 0;
      let offLog = 0;
      const started = performance.now();
      const offset = options.start ?? 0;
      const startProgress = (info: VideoInfo) => {
        const end = Math.min(options.end ?? Infinity, info.durationSeconds ?? Infinity);
        progress.start(Number.isFinite(end) ? end - offset : undefined);
      };
      if (state.info) startProgress(state.info);
      else state.onInfo = startProgress;
      return begun.source.pipe(
        tap((result) => {
          flow.done();
          frames++;
          if (result.group?.reused) reused++;
          if (result.nav && !Object.keys(result.nav.values).length) offLog++;
          progress.update(result.frame.ptsSeconds - offset, frames);
        }),
        finalize(() => progress.stop()),
        (results) => concat(results, defer(() => this.saveOverlayMask(input, overlay)).pipe(ignoreElements())),
        tap({
          complete: () => {
            if (options.quiet) return;
            const seconds = (performance.now() - started) / 1000;
            const saved = reused
              ? `, ${reused} near-duplicates reused (${Math.round((100 * reused) / Math.max(1, frames))} % of inference saved)`
              : '';
            const decodeStats = state.decodeStats;
            const corrupt = decodeStats?.corruptPackets
              ? `, ${decodeStats.corruptPackets} decoder errors concealed (last: ${decodeStats.lastError})`
              : '';
            const nav = offLog ? `, ${offLog} with no navigation values (outside the log or in its gaps)` : '';
            const masked = overlay ? `, ${overlaySummary(overlay, options.overlayMask)}` : '';
            process.stderr.write(`rovlens: ${input}: ${frames} frames in ${seconds.toFixed(1)} s${saved}${corrupt}${nav}${masked}\n`);
          },
        }),
        catchError((error) => {
          this.fail(error);
          return EMPTY;
        }),
      );
    });
  }

  /** --save-overlay-mask: the mask this input's frames were masked with, at the source's size. */
  private async saveOverlayMask(input: string, overlay: OverlayMasker | undefined): Promise<void> {
    const save = this.options.saveOverlayMask;
    // A --pipeline without the mask stage never waited for the pre-pass.
    await overlay?.pending;
    const estimate = overlay?.current;
    if (save === undefined || !overlay?.sourceSize || !estimate) return;
    await writeOverlayMask(overlayMaskPath(save, input), estimate.mask, overlay.sourceSize);
  }

  async into(inputs: string[], timelinePath: string | undefined, segmentsPath: string | undefined): Promise<void> {
    const heads = Object.keys(this.model.card.heads);
    const navFields = this.nav?.fields;
    let results = from(inputs).pipe(concatMap((input) => this.results(input)));
    if (this.hooks.onResult) results = results.pipe(tap(this.hooks.onResult));
    if (this.map) results = results.pipe(this.map.collect());
    // JSON lines open with the run header, so exports and reports need nothing repeated.
    const header =
      this.options.format === 'jsonl' || this.exports
        ? await timelineRunHeader(inputs, this.options, this.model.card, this.nav)
        : undefined;
    const runHeader = this.options.format === 'jsonl' ? runHeaderLine(header!) : undefined;
    if (this.exports) {
      this.exports.addHeader(header!);
      results = results.pipe(this.exports.collect());
    }
    results = results.pipe(
      writeTimeline(timelinePath, this.model.card, this.options.format, { camAlso: this.options.camAlso, navFields, runHeader }),
    );
    if (segmentsPath) {
      results = results.pipe(writeSegments(segmentsPath, heads, { minSegmentSeconds: this.options.minSegment, navFields }));
    }
    if (this.stages.sink) results = results.pipe(this.stages.sink({ card: this.model.card, inputs }));
    await new Promise<void>((done) => {
      const subscription = results.subscribe({
        error: (error) => (this.fail(error), done()),
        complete: done,
      });
      // Ctrl-C: unsubscribing kills ffmpeg and lets every sink flush and close in its teardown.
      this.stopCurrent = () => (subscription.unsubscribe(), done());
    });
    this.stopCurrent = undefined;
  }
}

/** A `--pipeline` module: its stages replace the built-in ones, its sink is added to the runner's. */
async function loadPipeline(path: string): Promise<{ pipeline: Pipeline; sink: Sink | undefined }> {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`--pipeline: ${path} does not exist`);
  const module = (await import(pathToFileURL(full).href)) as { timelinePipeline?: Pipeline; default?: Pipeline; timelineSink?: Sink };
  const pipeline = module.timelinePipeline ?? module.default;
  const sink = module.timelineSink;
  if (pipeline !== undefined && typeof pipeline !== 'function')
    throw new UsageError(`--pipeline: ${path}: timelinePipeline is not a function`);
  if (sink !== undefined && typeof sink !== 'function') throw new UsageError(`--pipeline: ${path}: timelineSink is not a function`);
  if (!pipeline && !sink) throw new UsageError(`--pipeline: ${path} exports no timelinePipeline function`);
  return { pipeline: pipeline ?? timelinePipeline, sink };
}

/**
 * Probes inputs one step ahead: the first while the model loads, each next one while the one before
 * it runs. A failed probe is reported when its input's turn comes, as before.
 */
class ProbeAhead {
  private readonly pending = new Map<string, Promise<VideoInfo>>();

  constructor(private readonly inputs: readonly string[]) {
    if (inputs[0] !== undefined) this.start(inputs[0]);
  }

  info(input: string): Promise<VideoInfo> {
    const info = this.pending.get(input) ?? this.start(input);
    this.pending.delete(input);
    const next = this.inputs[this.inputs.indexOf(input) + 1];
    if (next !== undefined && !this.pending.has(next)) this.start(next);
    return info;
  }

  private start(input: string): Promise<VideoInfo> {
    const info = probeVideo(input, { keyframes: false });
    info.catch(() => {}); // its input's turn reports it
    this.pending.set(input, info);
    return info;
  }
}

interface Begun {
  input: string;
  flow: FlowControl;
  state: { info?: VideoInfo; onInfo?: (info: VideoInfo) => void; decodeStats?: DecodeStats };
  source: Observable<FrameResult>;
  /** Settles when ffmpeg runs. */
  decodeStarted: Promise<void>;
  /** This input's overlay masker, with --overlay-mask auto or a mask picture. */
  overlay: OverlayMasker | undefined;
}
