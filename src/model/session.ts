/**
 * The only module that imports onnxruntime-node: a thin, strict wrapper that opens a model with its
 * card, checks that the card's names exist in the graph, and runs float32 batches.
 */
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelError } from '../errors.js';
import { loadModelCard, type ModelCard } from './card.js';
import { devicesToTry, missingProvider, type Device, type DeviceRequest } from './execution-providers.js';

/**
 * ONNX Runtime's Linux build carries Microsoft's 1DS telemetry SDK, which creates an empty
 * `mat-debug-<pid>.log` in the temp folder of every process that opens a session (no option turns it
 * off from JavaScript). It is removed when the process exits, if still empty.
 */
let tidyTelemetryLog = () => {
  tidyTelemetryLog = () => undefined;
  process.once('exit', () => {
    const log = join(tmpdir(), `mat-debug-${process.pid}.log`);
    try {
      if (statSync(log).size === 0) rmSync(log);
    } catch {
      // Not there: nothing to tidy.
    }
  });
};

export type { Device, DeviceRequest } from './execution-providers.js';

export interface SessionOptions {
  /** auto tries CUDA, then WebGPU, then the CPU; a named GPU falls back to the CPU. Default: cpu. */
  device?: DeviceRequest;
  /** Threads inside one operator; default: let ONNX Runtime choose (all cores). */
  intraOpThreads?: number;
  /** Where one-line notices go (e.g. the CUDA fallback). Default: stderr. */
  notice?: (line: string) => void;
}

export interface OutputTensor {
  dims: number[];
  data: Float32Array;
}

export class ModelSession {
  private session: ort.InferenceSession | undefined;
  private loading: Promise<void> | undefined;
  private deviceUsed: Device = 'cpu';
  private requestedLoad!: () => void;
  /** Settles when the session is first asked for (`load()` or a run), before it is created. */
  readonly loadRequested = new Promise<void>((resolve) => (this.requestedLoad = resolve));

  private constructor(
    readonly card: ModelCard,
    readonly modelPath: string,
    private readonly options: SessionOptions,
  ) {}

  /** Opens `path` (.onnx with its card beside it, or the card itself). */
  static async open(path: string, options: SessionOptions = {}): Promise<ModelSession> {
    const model = ModelSession.prepare(path, options);
    await model.load();
    return model;
  }

  /**
   * The card now, the ONNX Runtime session on `load()` or the first run. Creating a session holds the
   * event loop for a while, so a runner can start ffmpeg first and let it decode meanwhile.
   */
  static prepare(path: string, options: SessionOptions = {}): ModelSession {
    const { card, modelPath } = loadModelCard(path);
    tidyTelemetryLog();
    return new ModelSession(card, modelPath, options);
  }

  /** Creates the session (once); rejects with a ModelError when it cannot load or the card does not fit. */
  load(): Promise<void> {
    this.requestedLoad();
    return (this.loading ??= this.create());
  }

  /** Where the session runs (known once loaded). */
  get device(): Device {
    return this.deviceUsed;
  }

  private async create(): Promise<void> {
    const options = this.options;
    const modelPath = this.modelPath;
    const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
    const base: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
      // Idle ONNX Runtime threads sleep instead of spinning: they share the cores with ffmpeg's decoder.
      // On a 30 s 4K timeline, spinning took 8.5 s of user CPU time against 6.6-7.3 s without it
      // (decoding alone: 5.7-6.0 s); bench/timeline.ts measures what that does to the wall time.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    };
    const request = options.device ?? 'cpu';
    const refusals: string[] = [];
    let opened: { session: ort.InferenceSession; device: Device } | undefined;
    for (const device of devicesToTry(request)) {
      if (device === 'cpu') {
        try {
          opened = { session: await ort.InferenceSession.create(modelPath, { ...base, executionProviders: ['cpu'] }), device };
        } catch (error) {
          throw new ModelError(`cannot load ${modelPath}: ${firstLine(error)}`);
        }
        break;
      }
      const missing = missingProvider(device);
      if (missing) {
        refusals.push(`${device}: ${missing}`);
        continue;
      }
      try {
        // ONNX Runtime's own logger would print a multi-line native error when a provider cannot load;
        // we report that ourselves in one line, so only fatal messages get through from here on.
        ort.env.logLevel = 'fatal';
        opened = {
          session: await ort.InferenceSession.create(modelPath, { ...base, executionProviders: [device], logSeverityLevel: 4 }),
          device,
        };
        break;
      } catch (error) {
        refusals.push(`${device}: ${providerFailure(error)}`);
      }
    }
    const { session, device } = opened!;
    if (request === 'auto') notice(`rovlens: running the model on ${device}${refusals.length ? ` (${refusals.join('; ')})` : ''}`);
    else if (device !== request) notice(`rovlens: ${request === 'cuda' ? 'CUDA' : 'WebGPU'} is not available (${refusals[0]!.replace(/^\w+: /, '')}); running on CPU`);
    this.session = session;
    this.deviceUsed = device;
    this.checkCardAgainstGraph();
  }

  private loaded(): ort.InferenceSession {
    if (!this.session) throw new Error(`${this.modelPath}: the session is used before load()`);
    return this.session;
  }

  get inputNames(): readonly string[] {
    return this.loaded().inputNames;
  }

  get outputNames(): readonly string[] {
    return this.loaded().outputNames;
  }

  private checkCardAgainstGraph(): void {
    const session = this.loaded();
    const outputs = new Set(session.outputNames);
    if (!session.inputNames.includes(this.card.input.name)) {
      throw new ModelError(
        `model card field 'input.name': '${this.card.input.name}' is not an input of the graph (inputs: ${session.inputNames.join(', ')})`,
      );
    }
    const want = (field: string, name: string | undefined) => {
      if (name !== undefined && !outputs.has(name)) {
        throw new ModelError(`model card field '${field}': '${name}' is not an output of the graph (outputs: ${[...outputs].join(', ')})`);
      }
    };
    for (const [head, spec] of Object.entries(this.card.heads)) {
      want(`heads.${head}.logits`, spec.logits);
      want(`heads.${head}.cam`, spec.cam);
    }
    want('embedding.output', this.card.embedding?.output);
    // Sizes the graph states (a symbolic size is checked on the first batch instead).
    const shapes = new Map(session.outputMetadata.map((m) => [m.name, 'shape' in m ? m.shape : undefined]));
    for (const [field, name, size, what] of this.sizedOutputs()) {
      const stated = shapes.get(name)?.[1];
      if (typeof stated === 'number') checkOutputSize(field, name, stated, size, what);
    }
  }

  /** Each output whose second dimension the card fixes: [card field, output, size, what the size is]. */
  private sizedOutputs(): [string, string, number, string][] {
    const sized: [string, string, number, string][] = [];
    for (const [head, spec] of Object.entries(this.card.heads)) {
      sized.push([`heads.${head}.labels`, spec.logits, spec.labels.length, 'labels']);
      if (spec.cam) sized.push([`heads.${head}.labels`, spec.cam, spec.labels.length, 'labels']);
    }
    if (this.card.embedding) sized.push(['embedding.length', this.card.embedding.output, this.card.embedding.length, 'values']);
    return sized;
  }

  private sizesChecked = false;

  private checkRunSizes(out: Record<string, OutputTensor>): void {
    this.sizesChecked = true;
    for (const [field, name, size, what] of this.sizedOutputs()) {
      const got = out[name]?.dims[1];
      if (got !== undefined) checkOutputSize(field, name, got, size, what);
    }
  }

  /**
   * Runs one batch. `input` is NCHW float32 of length batch*3*height*width. Returns only the
   * requested outputs (all when `outputs` is omitted), as float32.
   */
  async run(
    input: Float32Array,
    dims: [number, number, number, number],
    wanted?: readonly string[],
  ): Promise<Record<string, OutputTensor>> {
    await this.load();
    const session = this.loaded();
    const outputs = wanted ?? session.outputNames;
    const feeds = { [this.card.input.name]: new ort.Tensor('float32', input, dims) };
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await session.run(feeds, outputs as string[]);
    } catch (error) {
      throw new ModelError(`inference failed on input ${dims.join('x')}: ${firstLine(error)}`);
    }
    const out: Record<string, OutputTensor> = {};
    for (const name of outputs) {
      const tensor = result[name]!;
      if (tensor.type !== 'float32') throw new ModelError(`output '${name}' is ${tensor.type}, expected float32`);
      out[name] = { dims: [...tensor.dims], data: tensor.data as Float32Array };
    }
    if (!this.sizesChecked) this.checkRunSizes(out);
    return out;
  }

  async close(): Promise<void> {
    if (!this.loading) return;
    await this.loading.catch(() => undefined);
    await this.session?.release();
    this.session = undefined;
  }
}

/** A provider's native error reduced to its reason (ONNX Runtime prefixes source paths and lambdas). */
function providerFailure(error: unknown): string {
  const line = firstLine(error);
  const reason = /was false\.\s*(.+)$/.exec(line)?.[1] ?? /:\s*([^:]+)$/.exec(line)?.[1] ?? line;
  return reason.trim();
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}

/** A card whose label count differs from the output's size would put every value in the wrong column. */
function checkOutputSize(field: string, output: string, graphSize: number, cardSize: number, what: string): void {
  if (graphSize === cardSize) return;
  throw new ModelError(
    `model card field '${field}': ${cardSize} ${what} for output '${output}' of size ${graphSize}; the card must match the model`,
  );
}
