/**
 * `rovlens timeline <inputs...>`: recorded missions to timeline CSVs (and segments).
 * Thin: parse and validate options, open the model, run the pipeline per input, report.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import fg from 'fast-glob';
import { catchError, concatMap, defer, EMPTY, finalize, from, switchMap, tap, type Observable } from 'rxjs';
import { parseTimelineOptions, timelineOptionsSchema, type TimelineOptions } from '../config/timeline.js';
import { ExitCode, InputError, OutputError, UsageError } from '../errors.js';
import { openWithCams } from '../model/add-cam-outputs.js';
import { DEVICES } from '../model/execution-providers.js';
import { HWACCELS } from '../sources/hwaccel.js';
import { checkCamTargets } from '../operators/grad-cam.js';
import type { ModelSession } from '../model/session.js';
import { DEFAULT_MODEL } from '../paths.js';
import { writeSegments } from '../sinks/segments.js';
import { TrackMap } from '../sinks/geojson.js';
import { writeTimeline } from '../sinks/timeline.js';
import type { DecodeStats } from '../sources/ffmpeg.js';
import { FlowControl } from '../sources/flow-control.js';
import { checkInputFile, isUrl, probeVideo } from '../sources/probe.js';
import { NavJoin } from '../telemetry/nav-join.js';
import type { FrameResult } from '../types.js';
import { timelinePipeline, type TimelineContext } from '../../pipelines/timeline.js';
import { reportError, runAction } from './action.js';
import { navFlags } from './nav-flags.js';
import { Progress } from './progress.js';

const describe = (key: keyof typeof timelineOptionsSchema.shape) => timelineOptionsSchema.shape[key].description ?? '';

export function register(program: Command): void {
  const command = program
    .command('timeline')
    .description('recorded missions to timeline CSVs: seafloor and main element at each sampled instant')
    .argument('<inputs...>', 'video files or globs (any container, codec and resolution ffmpeg reads)')
    .option('-o, --output <path>', describe('output'))
    .option('--every <seconds>', describe('every'), '1')
    .option('--keyframes', describe('keyframes'))
    .option('--start <time>', describe('start'))
    .option('--end <time>', describe('end'))
    .option('--crop <WxH>', describe('crop'))
    .option('--model <path>', describe('model'))
    .addOption(new Option('--device <device>', describe('device')).choices(DEVICES).default('cpu'))
    .addOption(new Option('--hwaccel <method>', describe('hwaccel')).choices(HWACCELS).default('none'))
    .option('--batch <n>', describe('batch'), '4')
    .addOption(new Option('--format <format>', describe('format')).choices(['csv', 'jsonl']).default('csv'))
    .option('--segments <file>', describe('segments'))
    .option('--geojson <file>', describe('geojson'))
    .option('--min-segment <seconds>', describe('minSegment'), '0')
    .option('--uncertain-below <p>', describe('uncertainBelow'))
    .option('--cam-threshold <fraction>', describe('camThreshold'), '0.5')
    .addOption(new Option('--cam-method <method>', describe('camMethod')).choices(['relative', 'otsu']).default('relative'))
    .addOption(
      new Option('--cam-fallback <method>', describe('camFallback')).choices(['auto', 'score-cam', 'occlusion', 'none']).default('auto'),
    )
    .option('--cam-also <targets>', describe('camAlso'));
  for (const flag of navFlags(describe, true)) command.addOption(flag);
  command
    .option('--no-skip-duplicates', 'run the model on every sampled frame, even near-duplicates')
    .option('--no-pushdown', 'sample, crop and resize in the RxJS operators instead of inside ffmpeg')
    .option('--pipeline <module>', describe('pipeline'))
    .option('-q, --quiet', describe('quiet'))
    .addHelpText(
      'after',
      `
Examples:
  rovlens timeline dive.mp4 -o dive.csv --segments dive-segments.csv
  rovlens timeline 'missions/*.mov' -o timelines/ --every 2
  rovlens timeline dive.mp4 -o dive.csv --cam-also element:waste,floor:reef   # where waste and reef are, in every frame
  rovlens timeline dive.mp4 -o dive.csv --nav dive-nav.csv --video-start 2022-10-06T13:50:40   # position of every frame
  rovlens timeline 'dives/*.mp4' -o timelines/ --nav survey-nav.csv --geojson survey.geojson   # and a habitat map
  rovlens timeline dive.mp4 --keyframes --format jsonl > dive.jsonl
  rovlens timeline dive.mp4 --start 00:10:00 --end 00:20:00 --crop 0.6x1 -o part.csv

Exit codes: 0 ok, 2 usage, 3 input or navigation log missing, 4 input not video or log unreadable, 5 model, 6 output,
7 decoding stopped part-way (rows so far are written), 130 interrupted (rows so far are written).`,
    )
    .action(runAction(async (inputs: string[], raw: Record<string, unknown>) => runTimeline(inputs, parseTimelineOptions(raw))));
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

function planOutputs(inputs: readonly string[], options: TimelineOptions): OutputPlan {
  const ext = options.format === 'csv' ? '.csv' : '.jsonl';
  const out = options.output;
  const isDir = out !== undefined && (out.endsWith('/') || (existsSync(out) && statSync(out).isDirectory()));
  if (!isDir) return { timeline: () => out, segments: () => options.segments, shared: true };
  if (options.segments !== undefined) {
    throw new UsageError('--segments: with a folder output, each input gets its segments file in that folder; leave --segments out');
  }
  // One stem per input; inputs with the same name from different folders get -2, -3, ...
  const stems = new Map<string, string>();
  const used = new Map<string, number>();
  for (const input of inputs) {
    const base = basename(input, extname(input)) || 'stream';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    stems.set(input, n === 1 ? base : `${base}-${n}`);
  }
  return {
    timeline: (input) => join(out, `${stems.get(input)}.timeline${ext}`),
    segments: (input) => join(out, `${stems.get(input)}.segments.csv`),
    shared: false,
  };
}

type Pipeline = (ctx: TimelineContext) => Observable<FrameResult>;

export async function runTimeline(patterns: string[], options: TimelineOptions): Promise<number> {
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
  const plan = planOutputs(inputs, options);
  if (options.videoStart && inputs.length > 1) {
    throw new UsageError("--video-start: one start for several inputs; leave it out and each file's creation_time is used");
  }
  const nav = NavJoin.open(options);
  const position = nav?.position;
  if (options.geojson !== undefined && !position) {
    throw new UsageError(`--geojson: ${options.nav} has no latitude and longitude columns among those joined (${nav!.fields.join(', ')})`);
  }
  // The map is written at the end: a folder that cannot take it is said before hours of decoding.
  if (options.geojson !== undefined) checkWritableFolder(options.geojson);
  if (options.output !== undefined && options.output === options.segments)
    throw new UsageError('--output and --segments must be different files');
  // Models exported without CAM outputs but with a pooling-plus-linear head get them added (exact
  // Grad-CAM); other pooling heads get their feature map as an output (Score-CAM).
  const model = await openWithCams(options.model ?? defaultModel(), {
    device: options.device,
    features: options.camFallback === 'score-cam',
  });
  try {
    checkCamTargets(model.card, options.camAlso ?? []);
  } catch (error) {
    await model.close();
    throw error;
  }
  const pipeline = options.pipeline ? await loadPipeline(options.pipeline) : timelinePipeline;
  // One map for all inputs of the run, written once they are done (or interrupted).
  const map =
    options.geojson !== undefined
      ? new TrackMap(Object.keys(model.card.heads), { ...position!, minSegmentSeconds: options.minSegment })
      : undefined;
  const run = new TimelineRun(options, model, pipeline, nav, map);
  try {
    if (plan.shared) await run.into(inputs, plan.timeline(inputs[0]!), plan.segments(inputs[0]!));
    else for (const input of inputs) if (!run.interrupted) await run.into([input], plan.timeline(input), plan.segments(input));
    if (map) map.write(options.geojson!);
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
    private readonly pipeline: Pipeline,
    private readonly nav: NavJoin | undefined,
    private readonly map: TrackMap | undefined,
  ) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  private fail(error: unknown): void {
    this.exitCode = Math.max(this.exitCode, reportError(error));
  }

  /** One input's results, with progress and a summary line; errors are reported, not thrown. */
  private results(input: string): Observable<FrameResult> {
    const { options, model } = this;
    return defer(() => {
      const progress = new Progress(input, options.quiet);
      const flow = new FlowControl(Math.max(8, options.batch * 2));
      let decodeStats: DecodeStats | undefined;
      let frames = 0;
      let reused = 0;
      let offLog = 0;
      const started = performance.now();
      const offset = options.start ?? 0;
      return from(probeVideo(input, { keyframes: false })).pipe(
        switchMap((info) => {
          const end = Math.min(options.end ?? Infinity, info.durationSeconds ?? Infinity);
          progress.start(Number.isFinite(end) ? end - offset : undefined);
          const nav = this.nav?.forVideo(info);
          return this.pipeline({ input, info, model, options, flow, nav, onDecodeEnd: (s) => (decodeStats = s) });
        }),
        tap((result) => {
          flow.done();
          frames++;
          if (result.group?.reused) reused++;
          if (result.nav && !Object.keys(result.nav.values).length) offLog++;
          progress.update(result.frame.ptsSeconds - offset, frames);
        }),
        finalize(() => progress.stop()),
        tap({
          complete: () => {
            if (options.quiet) return;
            const seconds = (performance.now() - started) / 1000;
            const saved = reused
              ? `, ${reused} near-duplicates reused (${Math.round((100 * reused) / Math.max(1, frames))} % of inference saved)`
              : '';
            const corrupt = decodeStats?.corruptPackets
              ? `, ${decodeStats.corruptPackets} decoder errors concealed (last: ${decodeStats.lastError})`
              : '';
            const nav = offLog ? `, ${offLog} with no navigation values (outside the log or in its gaps)` : '';
            process.stderr.write(`rovlens: ${input}: ${frames} frames in ${seconds.toFixed(1)} s${saved}${corrupt}${nav}\n`);
          },
        }),
        catchError((error) => {
          this.fail(error);
          return EMPTY;
        }),
      );
    });
  }

  async into(inputs: string[], timelinePath: string | undefined, segmentsPath: string | undefined): Promise<void> {
    const heads = Object.keys(this.model.card.heads);
    const navFields = this.nav?.fields;
    let results = from(inputs).pipe(concatMap((input) => this.results(input)));
    if (this.map) results = results.pipe(this.map.collect());
    results = results.pipe(writeTimeline(timelinePath, this.model.card, this.options.format, { camAlso: this.options.camAlso, navFields }));
    if (segmentsPath) {
      results = results.pipe(writeSegments(segmentsPath, heads, { minSegmentSeconds: this.options.minSegment, navFields }));
    }
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

function defaultModel(): string {
  if (!existsSync(DEFAULT_MODEL)) {
    throw new UsageError(`the bundled model is missing (${DEFAULT_MODEL}); pass --model <file.onnx>`);
  }
  return DEFAULT_MODEL;
}

async function loadPipeline(path: string): Promise<Pipeline> {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`--pipeline: ${path} does not exist`);
  const module = (await import(pathToFileURL(full).href)) as { timelinePipeline?: Pipeline; default?: Pipeline };
  const fn = module.timelinePipeline ?? module.default;
  if (typeof fn !== 'function') throw new UsageError(`--pipeline: ${path} exports no timelinePipeline function`);
  return fn;
}

function checkWritableFolder(path: string): void {
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
  } catch (error) {
    throw new OutputError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
