/**
 * A navigation log: the vehicle's position, depth and heading over time, as the CSV an ROV's
 * topside software or a post-processed USBL track writes. Read once, then asked for its values at
 * any instant, so each frame of a dive can be put on the map.
 *
 * Times: ISO 8601 date-times (with or without a zone), Unix seconds or milliseconds, a date column
 * and a time column (2022-10-06 or 10/6/2022 with 13:50:40), or both in one column (10/6/2022 13:50).
 * A time without a zone is kept on the log's own clock, whatever it is: the video's start must then be
 * given on that clock too.
 *
 * Real logs are untidy, and the reader takes them as they come where the meaning is clear: comma,
 * semicolon or tab separated (decimal commas with semicolons), `#` comment lines, a last line cut
 * short by a logger that was stopped, and fields written on different rows by different sensors
 * (each field is interpolated between its own records).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { InputError, UsageError } from '../errors.js';
import { dateAndClock, inferDateOrder, parseInstant, type DateOrder, type Instant } from '../timecode.js';

// Instant parsing lives in the shared kernel (src/timecode.ts), below every layer; re-exported for log readers.
export { dateOrders, formatInstant, inferDateOrder, parseInstant, type DateOrder, type Instant } from '../timecode.js';

export interface NavLogOptions {
  /** The time column, or '<date column>+<time column>'. Default: found by name. */
  time?: string;
  /** Columns to carry; default: those named like latitude, longitude, depth, altitude and heading. */
  fields?: readonly string[];
  /** Order of day, month and year in dates like 10/6/2022. Default: inferred; ambiguous is an error. */
  dateOrder?: DateOrder;
}

/** One column of the log: its own records (rows where it is blank are not records of it). */
export interface NavField {
  /** The column's name in the log. */
  name: string;
  /** A compass angle in degrees (heading, yaw, course): kept in 0..360 and interpolated the short way round. */
  circular: boolean;
  /** Milliseconds, ascending. */
  times: Float64Array;
  values: Float64Array;
}

/** Columns found by name when --nav-fields is not given, in this order; the first matching name wins. */
const KNOWN_FIELDS: readonly RegExp[] = [
  /^(lat|latitude)(_deg)?$/i,
  /^(lon|lng|long|longitude)(_deg)?$/i,
  /^depth(_m)?$/i,
  /^(altitude|altimeter|alt)(_m)?$/i,
  /^(heading|hdg|yaw)(_deg)?$/i,
];
/** Whole names only: a yaw rate or a heading in radians is not a compass angle in degrees. */
const CIRCULAR = /^(heading|hdg|yaw|course|cog|bearing)(_?(deg|degrees))?$/i;
/**
 * What a value can physically be, by column name: a latitude of 9999 or a heading of 1e308 is a
 * broken row, said with its line, not a position put on a map.
 */
const PHYSICAL_RANGES: readonly { name: RegExp; min: number; max: number; what: string }[] = [
  { name: /^(lat|latitude)(_deg)?$/i, min: -90, max: 90, what: 'a latitude' },
  { name: /^(lon|lng|long|longitude)(_deg)?$/i, min: -180, max: 360, what: 'a longitude' },
  { name: CIRCULAR, min: -360, max: 720, what: 'a compass angle' },
  { name: /^depth(_m)?$/i, min: -20_000, max: 20_000, what: 'a depth in metres' },
  { name: /^(altitude|altimeter|alt)(_m)?$/i, min: -20_000, max: 20_000, what: 'an altitude in metres' },
];
const TIME_COLUMNS = /^(date_?time|timestamp|time_?stamp|utc|time_?utc|gps_?time|epoch|unix_?time|time)$/i;
/** Records may come a little out of order (merged sensors); a jump back further is a clock problem. */
const MAX_BACKWARDS_MS = 60_000;

/** A spreadsheet's date and time in one cell: '10/13/2022 13:50'. */
const SLASHED_WITH_CLOCK = /^\d{1,4}[/.]\d{1,2}[/.]\d{1,4}[ T]+\d{1,2}:\d{2}/;

export class NavLog {
  constructor(
    readonly path: string,
    readonly fields: readonly NavField[],
    /** First and last instants with a value of any field. */
    readonly startMs: number,
    readonly endMs: number,
    /** Whether the log's times fix their zone (a zone in the text, or Unix time). */
    readonly zoned: boolean,
    /** A log that belongs to one video (telemetry subtitles) knows when that video's first frame was. */
    readonly videoStart?: Instant,
  ) {}

  /**
   * Each field's value at `ms`, linear between that field's own records around it (compass angles
   * the short way round). NaN for a field with no record on one side, or whose two records are more
   * than `maxGapMs` apart.
   */
  at(ms: number, maxGapMs: number): number[] {
    return this.fields.map(({ times, values, circular }) => {
      if (!(ms >= times[0]! && ms <= times[times.length - 1]!)) return NaN;
      // The last record at or before ms.
      let lo = 0;
      let hi = times.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid]! <= ms) lo = mid;
        else hi = mid - 1;
      }
      if (times[lo] === ms) return values[lo]!;
      const next = lo + 1;
      const gap = times[next]! - times[lo]!;
      if (gap > maxGapMs) return NaN;
      const t = (ms - times[lo]!) / gap;
      const a = values[lo]!;
      const b = values[next]!;
      if (!circular) return a + (b - a) * t;
      const turn = ((((b - a) % 360) + 540) % 360) - 180;
      return (((a + turn * t) % 360) + 360) % 360;
    });
  }
}

/** The separator of the header line: the commonest of comma, semicolon and tab. */
function delimiterOf(text: string): string {
  const header = text.split(/\r?\n/).find((line) => line.trim() && !line.trimStart().startsWith('#')) ?? '';
  const counts = [',', ';', '\t'].map((d) => [d, header.split(d).length - 1] as const);
  return counts.reduce((best, c) => (c[1] > best[1] ? c : best))[0];
}

interface Row {
  /** The line of the file it is on (1-based), for messages. */
  line: number;
  cells: Record<string, string>;
}

function readRows(path: string): { rows: Row[]; columns: string[]; delimiter: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`navigation log not found: ${path}`, 'missing');
    throw new InputError(`cannot read navigation log ${path}: ${code ?? (error as Error).message}`);
  }
  if (text.slice(0, 4096).includes('\u0000')) throw new InputError(`${path} is not a text file; a navigation log is a CSV`);
  const delimiter = delimiterOf(text);
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      delimiter,
      comment: '#',
      skip_empty_lines: true,
      trim: true,
      bom: true,
      // A logger stopped mid-write leaves a short last line: its cells are blank, not an error.
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    throw new InputError(`cannot read ${path} as a navigation log CSV: ${(error as Error).message.split('\n')[0]!.slice(0, 200)}`);
  }
  const [header, ...body] = parsed;
  if (!header || !body.length) throw new InputError(`${path}: the navigation log has no rows`);
  const columns = header.record;
  const repeated = columns.find((c, i) => c !== '' && columns.indexOf(c) !== i);
  if (repeated) throw new InputError(`${path}: the column '${repeated}' appears twice in the header; rename one`);
  const rows = body.map(({ record, info }) => ({
    line: info.lines,
    cells: Object.fromEntries(columns.map((c, i) => [c, record[i] ?? ''])),
  }));
  return { rows, columns, delimiter };
}

/** Reads a navigation log CSV; a bad file is an error naming the line or the column. */
export function readNavLog(path: string, options: NavLogOptions = {}): NavLog {
  const { rows, columns, delimiter } = readRows(path);
  const find = (name: string) => columns.find((c) => c.toLowerCase() === name.trim().toLowerCase());
  const instants = readTimes(path, rows, columns, find, options);
  for (let i = 1; i < instants.length; i++) {
    if (instants[i - 1]!.ms - instants[i]!.ms > MAX_BACKWARDS_MS) {
      throw new InputError(
        `${path} line ${rows[i]!.line}: the time goes back by ${Math.round((instants[i - 1]!.ms - instants[i]!.ms) / 1000)} s (a clock change?); sort the log or put it on one clock`,
      );
    }
  }

  const names = options.fields?.length
    ? options.fields.map((name) => {
        const column = find(name);
        if (!column) throw new UsageError(`--nav-fields: no column '${name}' in ${path} (columns: ${columns.join(', ')})`);
        return column;
      })
    : KNOWN_FIELDS.flatMap((pattern) => columns.find((c) => pattern.test(c)) ?? []);
  if (!names.length) {
    throw new UsageError(
      `${path}: no latitude, longitude, depth, altitude or heading column found; name them with --nav-fields (columns: ${columns.join(', ')})`,
    );
  }

  // Each field's own records, by time (stable: records logged in the same instant keep their order).
  const order = instants.map((_, i) => i).sort((a, b) => instants[a]!.ms - instants[b]!.ms || a - b);
  const fields = names.map((name): NavField => {
    const circular = CIRCULAR.test(name);
    const range = PHYSICAL_RANGES.find((r) => r.name.test(name));
    const kept = order.flatMap((i) => {
      // Blank, NA and other non-numbers are no record; with semicolons, decimals may use a comma.
      let text = rows[i]!.cells[name] ?? '';
      if (delimiter !== ',') text = text.replace(/^(-?\d+),(\d+)$/, '$1.$2');
      const value = text === '' ? NaN : Number(text);
      if (range && Number.isFinite(value) && (value < range.min || value > range.max)) {
        throw new InputError(
          `${path}: line ${rows[i]!.line}: ${name} ${text} is not ${range.what} (${range.min}..${range.max}); correct or remove the row`,
        );
      }
      return Number.isFinite(value) ? [[instants[i]!.ms, circular ? ((value % 360) + 360) % 360 : value] as const] : [];
    });
    if (!kept.length) throw new UsageError(`${path}: the column '${name}' holds no numbers`);
    return { name, circular, times: Float64Array.from(kept, (k) => k[0]), values: Float64Array.from(kept, (k) => k[1]) };
  });
  return new NavLog(
    path,
    fields,
    Math.min(...fields.map((f) => f.times[0]!)),
    Math.max(...fields.map((f) => f.times[f.times.length - 1]!)),
    instants.every((i) => i.zoned),
  );
}

function readTimes(
  path: string,
  rows: readonly Row[],
  columns: readonly string[],
  find: (name: string) => string | undefined,
  options: NavLogOptions,
): Instant[] {
  let dateColumn: string | undefined;
  let timeColumn: string | undefined;
  if (options.time) {
    const [a, b] = options.time.split('+').map((s) => s.trim());
    for (const name of [a, b]) {
      if (name !== undefined && !find(name)) {
        throw new UsageError(`--nav-time: no column '${name}' in ${path} (columns: ${columns.join(', ')})`);
      }
    }
    if (b === undefined) timeColumn = find(a!);
    else [dateColumn, timeColumn] = [find(a!), find(b)];
  } else {
    // A column that holds whole instants, else a date column and a time-of-day column.
    const sample = rows.slice(0, 20).map((r) => r.cells);
    const looksLikeTime = (text: string) => parseInstant(text) !== undefined || SLASHED_WITH_CLOCK.test(text.trim());
    timeColumn = columns.find((c) => TIME_COLUMNS.test(c) && sample.some((cells) => looksLikeTime(cells[c] ?? '')));
    if (!timeColumn && find('date') && find('time')) [dateColumn, timeColumn] = [find('date'), find('time')];
    if (!timeColumn) {
      throw new UsageError(
        `${path}: cannot tell which column holds the time; name it with --nav-time <column> or <date column>+<time column> (columns: ${columns.join(', ')})`,
      );
    }
  }
  const time = timeColumn!;
  // One column: ISO or Unix time, else a date and a time of day in one cell ('10/6/2022 13:50').
  const parts = (r: Row): [string, string] => {
    if (dateColumn) return [r.cells[dateColumn] ?? '', r.cells[time] ?? ''];
    const [date = '', clock = ''] = (r.cells[time] ?? '').trim().split(/[ T]+(?=\d)/);
    return [date, clock];
  };
  const needsOrder = dateColumn !== undefined || rows.some((r) => parseInstant(r.cells[time] ?? '') === undefined);
  let order: DateOrder = 'ymd';
  if (needsOrder) {
    const inferred = options.dateOrder ?? inferDateOrder(rows.map((r) => parts(r)[0]));
    if (!inferred) {
      const example = parts(rows[0]!)[0];
      throw new UsageError(`${path}: dates like ${example} can be read month first or day first; say which with --nav-date-order mdy|dmy`);
    }
    order = inferred;
  }
  return rows.map((r) => {
    const instant = (!dateColumn && parseInstant(r.cells[time] ?? '')) || dateAndClock(...parts(r), order);
    if (!instant) {
      const shown = dateColumn ? `${r.cells[dateColumn]} ${r.cells[time]}` : r.cells[time];
      throw new InputError(
        `${path} line ${r.line}: cannot read '${shown}' as a date and time (ISO 8601, Unix time, or a date and a time of day)`,
      );
    }
    return instant;
  });
}
