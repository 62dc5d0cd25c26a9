/**
 * The labels manifest: what a review decided, one CSV row per labelled frame, read by training.
 * RFC 4180, UTF-8, header row, columns:
 *   source,pts_seconds,floor,element,group,box_x0,box_y0,box_x1,box_y1,crop,reviewer,reviewed_at,
 *   predicted_floor,predicted_element
 * `source` is relative to the manifest's folder when the file lies under it, else absolute;
 * `pts_seconds` is empty for an image; `floor`/`element` are empty when that head was skipped or
 * marked unsure; the box is normalised 0..1 to the full frame (top-left origin), empty when none was
 * drawn; `crop` is the relative centre crop the frames were classified with ('0.67x1').
 *
 * Writing is crash-safe: new decisions are appended as whole lines in one write each, anything else
 * (undo, a changed decision) replaces the file atomically (temporary file + rename). A lock file
 * beside the manifest keeps two reviewers from writing one file.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  ftruncateSync,
  fsyncSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError, OutputError } from '../errors.js';
import { csvRow } from '../sinks/csv.js';

export const MANIFEST_COLUMNS = [
  'source',
  'pts_seconds',
  'floor',
  'element',
  'group',
  'box_x0',
  'box_y0',
  'box_x1',
  'box_y1',
  'crop',
  'reviewer',
  'reviewed_at',
  'predicted_floor',
  'predicted_element',
] as const;

/** Normalised 0..1 to the full frame, top-left origin; x0 < x1, y0 < y1. */
export interface ManifestBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The relative centre crop the frame was classified with (fractions of width and height kept). */
export interface ManifestCrop {
  widthFraction: number;
  heightFraction: number;
}

export interface ManifestRow {
  /** The video or image file: absolute when read; absolute or relative to the working directory when written. */
  source: string;
  /** Presentation time in the video, seconds (written with 3 decimals); undefined for an image. */
  ptsSeconds?: number;
  /** Undefined when the head was skipped or marked unsure. */
  floor?: string;
  element?: string;
  /** The near-duplicate group the decision was made for. */
  group: string;
  box?: ManifestBox;
  crop: ManifestCrop;
  reviewer: string;
  /** ISO 8601 UTC. */
  reviewedAt: string;
  predictedFloor?: string;
  predictedElement?: string;
}

/** One frame's identity in a manifest: the same source and pts (to the millisecond) are the same frame. */
export function frameKey(source: string, ptsSeconds: number | undefined): string {
  return ptsSeconds === undefined ? source : `${source}@${ptsSeconds.toFixed(3)}`;
}

export function formatCrop(crop: ManifestCrop): string {
  return `${crop.widthFraction}x${crop.heightFraction}`;
}

/** '0.67x1' -> { widthFraction: 0.67, heightFraction: 1 }; undefined when malformed or out of (0, 1]. */
export function parseCrop(text: string): ManifestCrop | undefined {
  const match = /^\s*([0-9]*\.?[0-9]+)\s*x\s*([0-9]*\.?[0-9]+)\s*$/.exec(text);
  if (!match) return undefined;
  const widthFraction = Number(match[1]);
  const heightFraction = Number(match[2]);
  const ok = (v: number) => v > 0 && v <= 1;
  return ok(widthFraction) && ok(heightFraction) ? { widthFraction, heightFraction } : undefined;
}

/** `source` as the manifest stores it: relative to the manifest's folder when under it, else absolute. */
export function manifestSource(manifestPath: string, source: string): string {
  const absolute = resolve(source);
  const fromManifest = relative(dirname(resolve(manifestPath)), absolute);
  return fromManifest && !fromManifest.startsWith(`..${sep}`) && fromManifest !== '..' && !isAbsolute(fromManifest)
    ? fromManifest
    : absolute;
}

const round4 = (v: number) => String(Math.round(v * 1e4) / 1e4);

/** One CSV line (ending in CRLF) for a row, with `source` stored relative to the manifest where it can be. */
export function formatManifestRow(manifestPath: string, row: ManifestRow): string {
  return csvRow([
    manifestSource(manifestPath, row.source),
    row.ptsSeconds === undefined ? undefined : row.ptsSeconds.toFixed(3),
    row.floor,
    row.element,
    row.group,
    row.box === undefined ? undefined : round4(row.box.x0),
    row.box === undefined ? undefined : round4(row.box.y0),
    row.box === undefined ? undefined : round4(row.box.x1),
    row.box === undefined ? undefined : round4(row.box.y1),
    formatCrop(row.crop),
    row.reviewer,
    row.reviewedAt,
    row.predictedFloor,
    row.predictedElement,
  ]);
}

export function manifestHeader(): string {
  return csvRow(MANIFEST_COLUMNS);
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

/**
 * RFC 4180 records. `complete` is false when the text ends inside a record that has no line end yet
 * (a write cut short): that last record is left out of `records`.
 */
export function parseCsvRecords(text: string): { records: CsvRecord[]; complete: boolean; completeLength: number } {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let completeLength = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      field = '';
      // A blank line is no record.
      if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
      fields = [];
      line++;
      recordLine = line;
      completeLength = i + 1;
    } else {
      field += ch;
    }
  }
  const complete = !quoted && field === '' && fields.length === 0;
  return { records, complete, completeLength };
}

export interface ParsedManifest {
  rows: ManifestRow[];
  /** The file ended in a line cut short (a write interrupted); that line is not in `rows`. */
  tornTail: boolean;
  /** Length in characters of the text up to the last whole line. */
  wholeLength: number;
}

/**
 * Parses manifest text; `source` comes back absolute (resolved against the manifest's folder).
 * A later row for the same frame replaces an earlier one. Errors name the file and line.
 */
export function parseManifest(text: string, manifestPath: string): ParsedManifest {
  const where = manifestPath;
  const { records, complete, completeLength } = parseCsvRecords(text);
  if (records.length === 0) {
    if (text.trim() === '') return { rows: [], tornTail: false, wholeLength: 0 };
    throw new InputError(`${where}: no header row: expected ${MANIFEST_COLUMNS.join(',')}`);
  }
  const header = records[0]!.fields.map((f) => f.trim());
  const missing = MANIFEST_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new InputError(
      `${where}: not a labels manifest: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${MANIFEST_COLUMNS.join(',')})`,
    );
  }
  const at = Object.fromEntries(MANIFEST_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof MANIFEST_COLUMNS)[number], number>;
  const folder = dirname(resolve(manifestPath));
  const byFrame = new Map<string, ManifestRow>();
  for (const { fields, line } of records.slice(1)) {
    const cell = (c: (typeof MANIFEST_COLUMNS)[number]) => (fields[at[c]] ?? '').trim();
    const optional = (c: (typeof MANIFEST_COLUMNS)[number]) => cell(c) || undefined;
    const bad = (what: string) => new InputError(`${where}: line ${line}: ${what}`);
    if (fields.length !== header.length) throw bad(`${fields.length} fields, the header has ${header.length}`);
    const source = cell('source');
    if (!source) throw bad(`empty source`);
    let ptsSeconds: number | undefined;
    if (cell('pts_seconds') !== '') {
      ptsSeconds = Number(cell('pts_seconds'));
      if (!Number.isFinite(ptsSeconds) || ptsSeconds < 0) throw bad(`pts_seconds '${cell('pts_seconds')}' is not a time in seconds`);
    }
    const group = cell('group');
    if (!group) throw bad('empty group');
    const boxCells = (['box_x0', 'box_y0', 'box_x1', 'box_y1'] as const).map(cell);
    let box: ManifestBox | undefined;
    if (boxCells.some((c) => c !== '')) {
      const [x0, y0, x1, y1] = boxCells.map(Number) as [number, number, number, number];
      const inRange = [x0, y0, x1, y1].every((v) => Number.isFinite(v) && v >= 0 && v <= 1);
      if (boxCells.some((c) => c === '') || !inRange || !(x0 < x1 && y0 < y1)) {
        throw bad(`box '${boxCells.join(',')}' must be four numbers in 0..1 with x0 < x1 and y0 < y1, or all empty`);
      }
      box = { x0, y0, x1, y1 };
    }
    const crop = parseCrop(cell('crop'));
    if (!crop) throw bad(`crop '${cell('crop')}' must be '<width>x<height>' fractions in (0, 1], e.g. 0.67x1`);
    const row: ManifestRow = {
      source: isAbsolute(source) ? source : resolve(folder, source),
      ...(ptsSeconds !== undefined ? { ptsSeconds } : {}),
      ...(optional('floor') ? { floor: cell('floor') } : {}),
      ...(optional('element') ? { element: cell('element') } : {}),
      group,
      ...(box ? { box } : {}),
      crop,
      reviewer: cell('reviewer'),
      reviewedAt: cell('reviewed_at'),
      ...(optional('predicted_floor') ? { predictedFloor: cell('predicted_floor') } : {}),
      ...(optional('predicted_element') ? { predictedElement: cell('predicted_element') } : {}),
    };
    const key = frameKey(row.source, row.ptsSeconds);
    byFrame.delete(key);
    byFrame.set(key, row);
  }
  return { rows: [...byFrame.values()], tornTail: !complete, wholeLength: completeLength };
}

/** Reads a manifest; a missing file is an InputError (exit 3), a malformed one names the line (exit 4). */
export function readManifest(path: string): ManifestRow[] {
  if (!existsSync(path)) throw new InputError(`labels manifest not found: ${path}`, 'missing');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read labels manifest ${path}: ${(error as Error).message}`, 'missing');
  }
  return parseManifest(text, path).rows;
}

/** Is a process with this id running on this machine? */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ManifestWriterOptions {
  /** Lock file path; default `<manifest>.lock`. */
  lockPath?: string;
}

/**
 * Owns one manifest while a review runs: holds the lock, keeps the rows, writes every change before
 * returning. Open resumes an existing file (a line cut short by a crash is dropped).
 */
export class ManifestWriter {
  private rowsByFrame = new Map<string, ManifestRow>();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly lockPath: string,
  ) {}

  /**
   * Takes the lock (refusing with an OutputError, exit 6, when a live process holds it; a lock left
   * by a process that died is taken over) and reads what the file already holds.
   */
  static open(path: string, options: ManifestWriterOptions = {}): ManifestWriter {
    const absolute = resolve(path);
    const lockPath = options.lockPath ?? `${absolute}.lock`;
    ManifestWriter.lock(absolute, lockPath);
    const writer = new ManifestWriter(absolute, lockPath);
    try {
      ManifestWriter.removeStaleTemporaries(absolute);
      if (existsSync(absolute)) {
        const text = readFileSync(absolute, 'utf8');
        const parsed = parseManifest(text, path);
        for (const row of parsed.rows) writer.rowsByFrame.set(frameKey(row.source, row.ptsSeconds), row);
        // A whole file again: drop the torn line, or rewrite one without its header.
        if (parsed.tornTail || text.trim() === '') writer.rewrite();
      } else {
        writer.rewrite();
      }
    } catch (error) {
      writer.close();
      throw error;
    }
    return writer;
  }

  private static lock(manifestPath: string, lockPath: string): void {
    const owner = `${process.pid} ${hostname()}\n`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(lockPath, owner, { flag: 'wx' });
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw new OutputError(`cannot lock ${manifestPath}: ${(error as Error).message}`);
      }
      const [pidText, host] = readFileSync(lockPath, 'utf8').trim().split(/\s+/);
      const pid = Number(pidText);
      const sameHost = host === undefined || host === hostname();
      if (Number.isInteger(pid) && pid > 0 && (!sameHost || processAlive(pid))) {
        throw new OutputError(
          `${manifestPath} is being reviewed by another process (pid ${pid}${sameHost ? '' : ` on ${host}`}); one reviewer per labels file: use another --labels file, or delete ${lockPath} if that review is gone`,
        );
      }
      rmSync(lockPath, { force: true });
    }
    throw new OutputError(`cannot lock ${manifestPath}: ${lockPath} keeps reappearing`);
  }

  /** A replacement a killed review never renamed into place: the manifest itself is whole, the rest goes. */
  private static removeStaleTemporaries(manifestPath: string): void {
    const prefix = `${basename(manifestPath)}.`;
    for (const name of readdirSync(dirname(manifestPath))) {
      const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length, -'.tmp'.length)) : NaN;
      if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) rmSync(join(dirname(manifestPath), name), { force: true });
    }
  }

  /** The rows held now, in the order they were decided. */
  rows(): ManifestRow[] {
    return [...this.rowsByFrame.values()];
  }

  /**
   * Records rows. When none of their frames is in the file yet they are appended in one write of
   * whole lines; when some replace earlier rows the file is replaced atomically.
   */
  write(rows: readonly ManifestRow[]): void {
    this.assertOpen();
    const replacing = rows.some((r) => this.rowsByFrame.has(frameKey(resolve(r.source), r.ptsSeconds)));
    for (const row of rows) {
      const absolute = { ...row, source: resolve(row.source) };
      const key = frameKey(absolute.source, absolute.ptsSeconds);
      this.rowsByFrame.delete(key);
      this.rowsByFrame.set(key, absolute);
    }
    if (replacing) this.rewrite();
    else this.append(rows);
  }

  /** Removes every row of these groups (undo); the file is replaced atomically. */
  removeGroups(groups: readonly string[]): void {
    this.assertOpen();
    const drop = new Set(groups);
    for (const [key, row] of this.rowsByFrame) if (drop.has(row.group)) this.rowsByFrame.delete(key);
    this.rewrite();
  }

  /** Releases the lock. Everything is already on disk. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    rmSync(this.lockPath, { force: true });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`manifest writer for ${this.path} is closed`);
  }

  private append(rows: readonly ManifestRow[]): void {
    const text = rows.map((r) => formatManifestRow(this.path, r)).join('');
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'a');
      // One write call for the whole batch of lines, so a reader never sees half a decision.
      writeSync(fd, text);
      fsyncSync(fd);
    } catch (error) {
      throw new OutputError(`cannot write labels to ${this.path}: ${(error as Error).message}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private rewrite(): void {
    const text =
      manifestHeader() +
      this.rows()
        .map((r) => formatManifestRow(this.path, r))
        .join('');
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      const fd = openSync(temporary, 'w');
      try {
        ftruncateSync(fd);
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new OutputError(`cannot write labels to ${this.path}: ${(error as Error).message}`);
    }
  }
}
