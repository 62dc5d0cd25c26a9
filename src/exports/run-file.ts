/**
 * The run file: what `rovlens timeline --format jsonl` writes, read back as typed runs, so that
 * exports and reports need nothing repeated on their command line.
 *
 * Layout (JSON lines, UTF-8):
 *   line 1   the run header: `{"rovlensRun": {...}}` (format version, rovlens version, command line,
 *            each input's path, size, identity and probe facts, the model card's summary, crop,
 *            sampling, the navigation log). A reader of frame records skips it: it has no `frameIndex`.
 *   line 2+  one frame record per sampled instant (see `RunRecord`).
 * A file without the header was written by rovlens before 0.2 and is refused in one line.
 *
 * Several inputs in one file (`-o all.jsonl`) share one header; each record names its `source`.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { RelativeCrop } from '../geometry.js';
import type { ModelCard } from '../model/card.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { VideoInfo } from '../sources/probe.js';

/** The header's key on line 1; a record with it is the header, never a frame. */
export const RUN_HEADER_KEY = 'rovlensRun';
/** Bumped when a reader of this version could misread a newer file. Readers accept this or lower. */
export const RUN_FORMAT_VERSION = 1;

/** How an input is recognised after it moved: its size and a SHA-256 of its first and last MiB. */
export const IDENTITY_METHOD = 'sha256-first-last-1MiB';
const IDENTITY_CHUNK_BYTES = 1 << 20;

const probeSchema = z.object({
  container: z.string(),
  codec: z.string(),
  width: z.number(),
  height: z.number(),
  /** Average frame rate (frames / duration), as ffprobe gives it. */
  fps: z.number(),
  variableFrameRate: z.boolean(),
  durationSeconds: z.number().optional(),
  /** First presentation time of the video stream (ffmpeg counts frame pts from here). */
  startSeconds: z.number(),
  frameCount: z.number().optional(),
  /** The video stream's time base, e.g. "1/15360". */
  timeBase: z.string().optional(),
  rotation: z.number(),
  creationTime: z.string().optional(),
});

const inputSchema = z.object({
  /** As given on the command line. */
  path: z.string(),
  /** Absolute, when the run was made: where an export looks first. */
  absolutePath: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  /** File modification time (ISO 8601). */
  modifiedAt: z.string(),
  identity: z.object({ method: z.string(), sha256: z.string() }),
  probe: probeSchema,
  /** With --nav: the video's time 0 on the navigation log's clock (ISO 8601; no zone on the log's own clock). */
  navStart: z.string().optional(),
});

const headerSchema = z.object({
  formatVersion: z.number().int().positive(),
  rovlensVersion: z.string(),
  /** ISO 8601, when the run started. */
  createdAt: z.string(),
  /** The command line as typed, `rovlens` first. */
  command: z.array(z.string()),
  inputs: z.array(inputSchema),
  model: z.object({
    name: z.string(),
    /** Labels per head, in the model's order. */
    heads: z.record(z.string(), z.array(z.string())),
    /** Input size the frames were resized to. */
    inputWidth: z.number(),
    inputHeight: z.number(),
    /** The card's provenance, as written there (backbone, licence, training data, metrics). */
    provenance: z.record(z.string(), z.unknown()),
  }),
  crop: z.object({ widthFraction: z.number(), heightFraction: z.number() }),
  sampling: z.object({
    everySeconds: z.number(),
    keyframesOnly: z.boolean(),
    startSeconds: z.number().optional(),
    endSeconds: z.number().optional(),
    /**
     * True when every frame was decoded from the start, so `frameIndex` is the stream's frame number;
     * otherwise it is pts x average fps (exact at constant frame rate only): exports recount it.
     */
    frameIndexExact: z.boolean(),
  }),
  nav: z
    .object({
      log: z.string(),
      fields: z.array(z.string()),
      /** The joined latitude/longitude columns, when the log has them (WGS 84 degrees). */
      latitude: z.string().optional(),
      longitude: z.string().optional(),
    })
    .optional(),
});

const rectSchema = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
const localisationSchema = z.object({
  head: z.string(),
  classIndex: z.number(),
  label: z.string(),
  method: z.string(),
  boxes: z.array(rectSchema),
  peak: z.object({ x: z.number(), y: z.number() }),
  areaFraction: z.number(),
  region: rectSchema,
});

const recordSchema = z.object({
  source: z.string(),
  frameIndex: z.number().int().nonnegative(),
  ptsSeconds: z.number(),
  timecode: z.string(),
  nav: z.object({ time: z.string(), values: z.record(z.string(), z.number()) }).optional(),
  heads: z.record(
    z.string(),
    z.object({
      label: z.string(),
      confidence: z.number(),
      uncertain: z.boolean(),
      probabilities: z.record(z.string(), z.number()),
    }),
  ),
  localisation: localisationSchema.optional(),
  extraLocalisations: z.record(z.string(), localisationSchema).optional(),
  group: z
    .object({ groupId: z.number(), duplicateOf: z.number().optional(), reused: z.boolean(), hash: z.string().optional() })
    .optional(),
});

export type RunProbe = z.infer<typeof probeSchema>;
export type RunInput = z.infer<typeof inputSchema>;
export type RunHeader = z.infer<typeof headerSchema>;
export type RunLocalisation = z.infer<typeof localisationSchema>;
export type RunRecord = z.infer<typeof recordSchema>;

export interface Run {
  /** The run file it was read from. */
  file: string;
  header: RunHeader;
  /** Frame records in file order (per input, by time). */
  records: RunRecord[];
}

/** The header line that opens a run file. */
export function runHeaderLine(header: RunHeader): string {
  return `${JSON.stringify({ [RUN_HEADER_KEY]: header })}\n`;
}

/**
 * One run file, or every `*.jsonl` in a folder (sorted by name). Bad input is an InputError in one
 * line naming the file: missing, not UTF-8, no header (an older rovlens), a newer format, a bad line.
 */
export function readRuns(path: string): Run[] {
  if (!existsSync(path)) throw new InputError(`run not found: ${path}`, 'missing');
  if (!statSync(path).isDirectory()) return [readRunFile(path)];
  const files = readdirSync(path)
    .filter((name) => name.endsWith('.jsonl'))
    .sort();
  if (!files.length) throw new InputError(`${path} holds no run files (*.jsonl from 'rovlens timeline --format jsonl')`, 'missing');
  return files.map((name) => readRunFile(join(path, name)));
}

export function readRunFile(file: string): Run {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'missing');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${file} is not a run file: it is not UTF-8 text`);
  }
  const lines = text.split('\n');
  const parseLine = (i: number): unknown => {
    try {
      return JSON.parse(lines[i]!);
    } catch {
      throw new InputError(`${file}:${i + 1}: not a JSON line (a run file is what 'rovlens timeline --format jsonl' writes)`);
    }
  };
  const first = lines[0]?.trim() ? parseLine(0) : undefined;
  const wrapped = first && typeof first === 'object' ? (first as Record<string, unknown>)[RUN_HEADER_KEY] : undefined;
  if (wrapped === undefined) {
    const older = first && typeof first === 'object' && 'frameIndex' in first;
    throw new InputError(
      older
        ? `${file} was written by an older rovlens (no run header on line 1): run 'rovlens timeline --format jsonl' again to export it`
        : `${file} is not a run file: line 1 is not a rovlens run header`,
    );
  }
  const version = (wrapped as { formatVersion?: unknown }).formatVersion;
  if (typeof version === 'number' && version > RUN_FORMAT_VERSION) {
    const by = (wrapped as { rovlensVersion?: unknown }).rovlensVersion;
    throw new InputError(
      `${file} is run format ${version} (rovlens ${String(by)}); this rovlens reads up to format ${RUN_FORMAT_VERSION}: update rovlens`,
    );
  }
  const header = headerSchema.safeParse(wrapped);
  if (!header.success) throw new InputError(`${file}:1: run header ${describeIssue(header.error)}`);
  const records: RunRecord[] = [];
  // A run stopped part-way (a killed process, a full disk) may end in a cut line: what came before is kept.
  let last = lines.length - 1;
  while (last > 0 && !lines[last]!.trim()) last--;
  for (let i = 1; i <= last; i++) {
    if (!lines[i]!.trim()) continue;
    if (i === last && !text.endsWith('\n')) {
      try {
        JSON.parse(lines[i]!);
      } catch {
        break;
      }
    }
    const record = recordSchema.safeParse(parseLine(i));
    if (!record.success) throw new InputError(`${file}:${i + 1}: frame record ${describeIssue(record.error)}`);
    records.push(record.data);
  }
  return { file, header: header.data, records };
}

/** A run made in memory (a timeline run exporting as it goes): records validated as a file's are. */
export function toRun(file: string, header: RunHeader, records: readonly unknown[]): Run {
  return {
    file,
    header,
    records: records.map((record, i) => {
      const parsed = recordSchema.safeParse(record);
      if (!parsed.success) throw new InputError(`${file}: record ${i + 1}: ${describeIssue(parsed.error)}`);
      return parsed.data;
    }),
  };
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `field '${issue.path.join('.') || '(root)'}': ${issue.message}`;
}

/** The records of one input of a run, in time order. */
export function recordsOf(run: Run, input: RunInput): RunRecord[] {
  return run.records.filter((r) => r.source === input.path);
}

/** Size and SHA-256 of the first and last MiB: recognises a file after it moved without reading hours of video. */
export function fileIdentity(path: string): { sizeBytes: number; modifiedAt: string; identity: RunInput['identity'] } {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(Math.min(IDENTITY_CHUNK_BYTES, stat.size));
    hash.update(chunk.subarray(0, readSync(fd, chunk, 0, chunk.length, 0)));
    if (stat.size > IDENTITY_CHUNK_BYTES) {
      const tail = Math.min(IDENTITY_CHUNK_BYTES, stat.size - IDENTITY_CHUNK_BYTES);
      hash.update(chunk.subarray(0, readSync(fd, chunk, 0, tail, stat.size - tail)));
    }
    return {
      sizeBytes: stat.size,
      modifiedAt: stat.mtime.toISOString(),
      identity: { method: IDENTITY_METHOD, sha256: hash.digest('hex') },
    };
  } finally {
    closeSync(fd);
  }
}

function sameFile(path: string, input: RunInput): boolean {
  try {
    const found = fileIdentity(path);
    return found.sizeBytes === input.sizeBytes && found.identity.sha256 === input.identity.sha256;
  } catch {
    return false;
  }
}

/**
 * Where an input of the run is now: its recorded absolute path, its path relative to the run file's
 * folder, or a file of the same name in one of `searchFolders`, checked by identity. A video that
 * moved (or changed) is an InputError saying where it was expected.
 */
export function locateInput(run: Run, input: RunInput, searchFolders: readonly string[] = []): string {
  const candidates = [
    input.absolutePath,
    resolve(dirname(run.file), input.path),
    resolve(input.path),
    ...searchFolders.map((folder) => join(folder, basename(input.absolutePath))),
  ];
  for (const candidate of candidates) if (existsSync(candidate) && sameFile(candidate, input)) return candidate;
  const changed = candidates.find((c) => existsSync(c));
  if (changed) {
    throw new InputError(`${changed} is not the video ${run.file} was made from (its size or content differ)`, 'invalid');
  }
  const lossy = input.absolutePath.includes('\uFFFD') ? ' (its name was not valid UTF-8 when recorded)' : '';
  const looked = searchFolders.length ? ` or in ${searchFolders.join(', ')}` : '';
  throw new InputError(
    `video not found: ${run.file} expects ${input.absolutePath}${lossy}${looked}; pass --videos <folder> where it is now`,
    'missing',
  );
}

/** What the header records about one input: where it is, how to recognise it, what ffprobe said. */
export function describeRunInput(path: string, info: VideoInfo, navStart?: string): RunInput {
  const probe: RunProbe = {
    container: info.container,
    codec: info.codec,
    width: info.width,
    height: info.height,
    fps: info.fps,
    variableFrameRate: info.variableFrameRate,
    durationSeconds: info.durationSeconds,
    startSeconds: info.startSeconds,
    frameCount: info.frameCount,
    timeBase: info.timeBase,
    rotation: info.rotation,
    creationTime: info.creationTime,
  };
  return { path, absolutePath: isFile(path) ? resolve(path) : path, ...identityOf(path), probe, ...(navStart ? { navStart } : {}) };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A stream, a device or standard input has no file to recognise later: its identity says so. */
function identityOf(path: string): Pick<RunInput, 'sizeBytes' | 'modifiedAt' | 'identity'> {
  if (isFile(path)) return fileIdentity(path);
  return { sizeBytes: 0, modifiedAt: new Date().toISOString(), identity: { method: 'none (not a file)', sha256: '' } };
}

export interface RunHeaderParts {
  /** The command line after `rovlens` (process.argv.slice(2)). */
  argv: readonly string[];
  inputs: RunInput[];
  card: ModelCard;
  crop: RelativeCrop;
  sampling: Omit<RunHeader['sampling'], 'frameIndexExact'>;
  nav?: RunHeader['nav'];
}

export function buildRunHeader(parts: RunHeaderParts): RunHeader {
  const { sampling } = parts;
  return {
    formatVersion: RUN_FORMAT_VERSION,
    rovlensVersion: rovlensVersion(),
    createdAt: new Date().toISOString(),
    command: ['rovlens', ...parts.argv],
    inputs: parts.inputs,
    model: {
      name: parts.card.name,
      heads: Object.fromEntries(Object.entries(parts.card.heads).map(([name, head]) => [name, [...head.labels]])),
      inputWidth: parts.card.input.width,
      inputHeight: parts.card.input.height,
      provenance: parts.card.provenance,
    },
    crop: { widthFraction: parts.crop.widthFraction, heightFraction: parts.crop.heightFraction },
    sampling: {
      ...sampling,
      // The decoder numbers frames exactly only when it sees every one of them from the start.
      frameIndexExact: sampling.everySeconds === 0 && !sampling.keyframesOnly && !sampling.startSeconds,
    },
    ...(parts.nav ? { nav: parts.nav } : {}),
  };
}

let version: string | undefined;
export function rovlensVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
