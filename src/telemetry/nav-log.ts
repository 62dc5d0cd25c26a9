/**
 * A navigation log: the vehicle's position, depth and heading over time, as the CSV an ROV's
 * topside software or a post-processed USBL track writes. Read once, then asked for its values at
 * any instant, so each frame of a dive can be put on the map.
 *
 * Times: ISO 8601 date-times (with or without a zone), Unix seconds or milliseconds, or a date column
 * and a time column (2022-10-06 or 10/6/2022 with 13:50:40). A time without a zone is kept on the
 * log's own clock, whatever it is: the video's start must then be given on that clock too.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { InputError, UsageError } from '../errors.js';

export const dateOrders = ['ymd', 'mdy', 'dmy'] as const;
export type DateOrder = (typeof dateOrders)[number];

export interface NavLogOptions {
  /** The time column, or '<date column>+<time column>'. Default: found by name. */
  time?: string;
  /** Columns to carry; default: those named like latitude, longitude, depth, altitude and heading. */
  fields?: readonly string[];
  /** Order of day, month and year in dates like 10/6/2022. Default: inferred; ambiguous is an error. */
  dateOrder?: DateOrder;
}

export interface NavField {
  /** The column's name in the log. */
  name: string;
  /** Angles in degrees (heading, yaw, course): interpolated the short way round, in 0..360. */
  circular: boolean;
  values: Float64Array;
}

/** An instant parsed from text: milliseconds, and whether the text fixed the zone (else: the log's clock). */
export interface Instant {
  ms: number;
  zoned: boolean;
}

/** Columns found by name when --nav-fields is not given, in this order; the first matching name wins. */
const KNOWN_FIELDS: readonly RegExp[] = [
  /^(lat|latitude)(_deg)?$/i,
  /^(lon|lng|long|longitude)(_deg)?$/i,
  /^depth(_m)?$/i,
  /^(altitude|altimeter|alt)(_m)?$/i,
  /^(heading|hdg|yaw)(_deg)?$/i,
];
const CIRCULAR = /heading|hdg|yaw|course|bearing/i;
const TIME_COLUMNS = /^(date_?time|timestamp|time_?stamp|utc|time_?utc|gps_?time|epoch|unix_?time|time)$/i;

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const SLASHED = /^(\d{1,4})[/.](\d{1,2})[/.](\d{1,4})$/;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const EPOCH = /^\d{9,13}(\.\d+)?$/;

/** '+02:00' / '-0530' / 'Z' -> minutes east of UTC. */
function zoneMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
}

function dayMs(year: number, month: number, day: number): number {
  if (month < 1 || month > 12 || day < 1 || day > 31) return NaN;
  const ms = Date.UTC(year < 100 ? 2000 + year : year, month - 1, day);
  return new Date(ms).getUTCDate() === day ? ms : NaN;
}

/**
 * An ISO 8601 date-time ('2022-10-06T13:50:40.5Z', '2022-10-06 13:50:40', a date alone) or Unix
 * seconds / milliseconds. Undefined when the text is neither.
 */
export function parseInstant(text: string): Instant | undefined {
  const t = text.trim();
  if (EPOCH.test(t)) {
    const n = Number(t);
    return { ms: n >= 1e11 ? n : n * 1000, zoned: true };
  }
  const m = ISO.exec(t);
  if (!m) return undefined;
  const day = dayMs(Number(m[1]), Number(m[2]), Number(m[3]));
  const clock = (Number(m[4] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0)) * 1000;
  if (Number.isNaN(day) || Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) >= 61) return undefined;
  const zone = m[7];
  return { ms: day + clock - (zone ? zoneMinutes(zone) * 60_000 : 0), zoned: zone !== undefined };
}

/** The day of a date written with slashes or dots, in the given order; NaN when it is not a date. */
function slashedDay(text: string, order: DateOrder): number {
  const m = SLASHED.exec(text.trim());
  if (!m) {
    const iso = ISO.exec(text.trim());
    return iso && iso[4] === undefined ? dayMs(Number(iso[1]), Number(iso[2]), Number(iso[3])) : NaN;
  }
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (order === 'ymd') return dayMs(a, b, c);
  return order === 'mdy' ? dayMs(c, a, b) : dayMs(c, b, a);
}

/**
 * The order of dates like 10/6/2022 in a column: a four-digit first part is year first; a first
 * part above 12 is day first; a second part above 12 is month first. Undefined when every date
 * could be read both ways (10/6/2022: 10 June or 6 October?).
 */
export function inferDateOrder(dates: readonly string[]): DateOrder | undefined {
  let dayFirst = false;
  let monthFirst = false;
  for (const text of dates) {
    const m = SLASHED.exec(text.trim());
    if (!m) continue;
    if (m[1]!.length === 4) return 'ymd';
    if (Number(m[1]) > 12) dayFirst = true;
    if (Number(m[2]) > 12) monthFirst = true;
  }
  if (dayFirst && !monthFirst) return 'dmy';
  if (monthFirst && !dayFirst) return 'mdy';
  if (!dates.some((d) => SLASHED.test(d.trim()))) return 'ymd';
  return undefined;
}

export class NavLog {
  constructor(
    readonly path: string,
    /** Milliseconds, ascending. */
    readonly times: Float64Array,
    readonly fields: readonly NavField[],
    /** Whether the log's times fix their zone (a zone in the text, or Unix time). */
    readonly zoned: boolean,
  ) {}

  get startMs(): number {
    return this.times[0]!;
  }

  get endMs(): number {
    return this.times[this.times.length - 1]!;
  }

  /**
   * Each field's value at `ms`, linear between the two records around it (angles the short way
   * round); undefined outside the log or when those records are more than `maxGapMs` apart. A
   * field missing in either record is NaN.
   */
  at(ms: number, maxGapMs: number): number[] | undefined {
    const times = this.times;
    if (!(ms >= times[0]! && ms <= times[times.length - 1]!)) return undefined;
    // The last record at or before ms.
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid]! <= ms) lo = mid;
      else hi = mid - 1;
    }
    if (times[lo] === ms || lo === times.length - 1) return this.fields.map((f) => f.values[lo]!);
    const next = lo + 1;
    const gap = times[next]! - times[lo]!;
    if (gap > maxGapMs) return undefined;
    const t = (ms - times[lo]!) / gap;
    return this.fields.map(({ values, circular }) => {
      const a = values[lo]!;
      const b = values[next]!;
      if (!circular) return a + (b - a) * t;
      const turn = ((((b - a) % 360) + 540) % 360) - 180;
      return (((a + turn * t) % 360) + 360) % 360;
    });
  }
}

/** Reads a navigation log CSV; a bad file is an InputError naming the row or column. */
export function readNavLog(path: string, options: NavLogOptions = {}): NavLog {
  let records: Record<string, string>[];
  try {
    records = parse(readFileSync(path), { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`navigation log not found: ${path}`, 'missing');
    throw new InputError(`cannot read ${path} as a navigation log CSV: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!records.length) throw new InputError(`${path}: the navigation log has no rows`);
  const columns = Object.keys(records[0]!);
  const instants = readTimes(path, records, columns, options);

  const names = options.fields?.length ? options.fields : KNOWN_FIELDS.flatMap((pattern) => columns.find((c) => pattern.test(c)) ?? []);
  for (const name of names) {
    if (!columns.includes(name)) throw new UsageError(`--nav-fields: no column '${name}' in ${path} (columns: ${columns.join(', ')})`);
  }
  if (!names.length) {
    throw new UsageError(
      `${path}: no latitude, longitude, depth, altitude or heading column found; name them with --nav-fields (columns: ${columns.join(', ')})`,
    );
  }

  // Sorted by time (stable: records logged in the same instant keep their order).
  const order = instants.map((_, i) => i).sort((a, b) => instants[a]!.ms - instants[b]!.ms || a - b);
  const times = Float64Array.from(order, (i) => instants[i]!.ms);
  const fields = names.map((name) => ({
    name,
    circular: CIRCULAR.test(name),
    // Blank, NA and other non-numbers become NaN: an empty cell where they would be used.
    values: Float64Array.from(order, (i) => {
      const text = records[i]![name] ?? '';
      return text === '' ? NaN : Number(text);
    }),
  }));
  return new NavLog(
    path,
    times,
    fields,
    instants.every((i) => i.zoned),
  );
}

function readTimes(path: string, records: Record<string, string>[], columns: string[], options: NavLogOptions): Instant[] {
  const find = (name: string) => columns.find((c) => c.toLowerCase() === name.toLowerCase());
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
    const first = records[0]!;
    // A column that holds whole instants, else a date column and a time-of-day column.
    timeColumn = columns.find((c) => TIME_COLUMNS.test(c) && parseInstant(first[c] ?? '') !== undefined);
    if (!timeColumn && find('date') && find('time')) [dateColumn, timeColumn] = [find('date'), find('time')];
    if (!timeColumn) {
      throw new UsageError(
        `${path}: cannot tell which column holds the time; name it with --nav-time <column> or <date column>+<time column> (columns: ${columns.join(', ')})`,
      );
    }
  }

  if (!dateColumn) {
    return records.map((r, i) => {
      const instant = parseInstant(r[timeColumn!] ?? '');
      if (!instant)
        throw new InputError(`${path} row ${i + 2}: cannot read '${r[timeColumn!]}' as a date and time (ISO 8601 or Unix time)`);
      return instant;
    });
  }
  const order = options.dateOrder ?? inferDateOrder(records.map((r) => r[dateColumn!] ?? ''));
  if (!order) {
    const example = records[0]![dateColumn]!;
    throw new UsageError(`${path}: dates like ${example} can be read month first or day first; say which with --nav-date-order mdy|dmy`);
  }
  return records.map((r, i) => {
    const day = slashedDay(r[dateColumn!] ?? '', order);
    const clock = CLOCK.exec((r[timeColumn!] ?? '').trim());
    if (Number.isNaN(day) || !clock || Number(clock[1]) > 23 || Number(clock[2]) > 59) {
      throw new InputError(`${path} row ${i + 2}: cannot read '${r[dateColumn!]} ${r[timeColumn!]}' as a date and a time of day`);
    }
    const zone = clock[4];
    const ms = day + (Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3] ?? 0)) * 1000;
    return { ms: ms - (zone ? zoneMinutes(zone) * 60_000 : 0), zoned: zone !== undefined };
  });
}

/** ISO 8601 for an instant: with 'Z' when it is UTC, without a zone when it is on the log's own clock. */
export function formatInstant(ms: number, zoned: boolean): string {
  const iso = new Date(ms).toISOString();
  return zoned ? iso : iso.slice(0, -1);
}
