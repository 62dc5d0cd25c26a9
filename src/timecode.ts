/**
 * Time as text, shared by every layer: video timecodes (HH:MM:SS.mmm) and the wall-clock instants a
 * navigation log or `--video-start` gives (ISO 8601, Unix time, a date and a time of day).
 */

/** HH:MM:SS.mmm, for people reading the CSV. */
export function timecode(seconds: number): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const ms = totalMs % 1000;
  const s = Math.floor(totalMs / 1000) % 60;
  const m = Math.floor(totalMs / 60_000) % 60;
  const h = Math.floor(totalMs / 3_600_000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms, 3)}`;
}

export const dateOrders = ['ymd', 'mdy', 'dmy'] as const;
export type DateOrder = (typeof dateOrders)[number];

/** An instant parsed from text: milliseconds, and whether the text fixed the zone (else: the log's clock). */
export interface Instant {
  ms: number;
  zoned: boolean;
}

const ZONE = String.raw`(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)`;
const CLOCK_TEXT = String.raw`(\d{1,2}):(\d{2})(?::(\d{2}(?:[.,]\d+)?))?`;
const ISO = new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]${CLOCK_TEXT})?\s*${ZONE}?$`, 'i');
const SLASHED = /^(\d{1,4})[/.](\d{1,2})[/.](\d{1,4})$/;
const CLOCK = new RegExp(String.raw`^${CLOCK_TEXT}\s*${ZONE}?$`, 'i');
const EPOCH = /^\d{9,13}(\.\d+)?$/;

/** 'Z' / 'UTC' / '+02:00' / '-0530' / '+05' -> minutes east of UTC. */
function zoneMinutes(zone: string): number {
  if (/^(Z|UTC|GMT)$/i.test(zone)) return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
}

function dayMs(year: number, month: number, day: number): number {
  if (month < 1 || month > 12 || day < 1 || day > 31) return NaN;
  // Two-digit years: 70-99 are the 1900s, the rest this century.
  const fullYear = year >= 100 ? year : year >= 70 ? 1900 + year : 2000 + year;
  const ms = Date.UTC(fullYear, month - 1, day);
  return new Date(ms).getUTCDate() === day ? ms : NaN;
}

/** Milliseconds into the day of a time of day (hours, minutes, seconds with a decimal point or comma); NaN when out of range. */
function clockMs(hours: string | undefined, minutes: string | undefined, seconds: string | undefined): number {
  const [h, m, s] = [Number(hours ?? 0), Number(minutes ?? 0), Number((seconds ?? '0').replace(',', '.'))];
  if (h > 23 || m > 59 || s >= 61) return NaN;
  return (h * 3600 + m * 60 + s) * 1000;
}

/**
 * An ISO 8601 date-time ('2022-10-06T13:50:40.5Z', '2022-10-06 13:50:40 UTC', a date alone) or Unix
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
  const ms = dayMs(Number(m[1]), Number(m[2]), Number(m[3])) + clockMs(m[4], m[5], m[6]);
  if (Number.isNaN(ms)) return undefined;
  const zone = m[7];
  return { ms: ms - (zone ? zoneMinutes(zone) * 60_000 : 0), zoned: zone !== undefined };
}

/** The day of a date written with slashes or dots in the given order, or in ISO form; NaN when it is not a date. */
function dayOf(text: string, order: DateOrder): number {
  const m = SLASHED.exec(text.trim());
  if (!m) {
    const iso = ISO.exec(text.trim());
    return iso && iso[4] === undefined ? dayMs(Number(iso[1]), Number(iso[2]), Number(iso[3])) : NaN;
  }
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (m[1]!.length === 4 || order === 'ymd') return dayMs(a, b, c);
  return order === 'mdy' ? dayMs(c, a, b) : dayMs(c, b, a);
}

/** A date and a time of day as one instant; undefined when either cannot be read. */
export function dateAndClock(date: string, clock: string, order: DateOrder): Instant | undefined {
  const c = CLOCK.exec(clock.trim());
  if (!c) return undefined;
  const ms = dayOf(date, order) + clockMs(c[1], c[2], c[3]);
  if (Number.isNaN(ms)) return undefined;
  const zone = c[4];
  return { ms: ms - (zone ? zoneMinutes(zone) * 60_000 : 0), zoned: zone !== undefined };
}

/**
 * The order of dates like 10/6/2022 in a column: a four-digit first part is year first; a first
 * part above 12 is day first; a second part above 12 is month first. Undefined when every date
 * could be read both ways (10/6/2022: 10 June or 6 October?).
 */
export function inferDateOrder(dates: readonly string[]): DateOrder | undefined {
  let dayFirst = false;
  let monthFirst = false;
  let slashed = false;
  for (const text of dates) {
    const m = SLASHED.exec(text.trim());
    if (!m) continue;
    slashed = true;
    if (m[1]!.length === 4) return 'ymd';
    if (Number(m[1]) > 12) dayFirst = true;
    if (Number(m[2]) > 12) monthFirst = true;
  }
  if (!slashed) return 'ymd';
  if (dayFirst && !monthFirst) return 'dmy';
  if (monthFirst && !dayFirst) return 'mdy';
  return undefined;
}

/** ISO 8601 for an instant: with 'Z' when it is UTC, without a zone when it is on the log's own clock. */
export function formatInstant(ms: number, zoned: boolean): string {
  const iso = new Date(ms).toISOString();
  return zoned ? iso : iso.slice(0, -1);
}
