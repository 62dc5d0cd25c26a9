/**
 * Telemetry subtitles as a navigation log. BlueROV2 pilots record, next to the video, an Advanced
 * SubStation Alpha (.ass) file that the topside software writes once a second (or a subtitle track
 * muxed into the MKV): Cockpit writes one event per screen position with `Name: value unit` lines
 * (`Depth: 5.23 m`, `Heading: 90.0 °`, `Latitude: 47.630268 °`) plus its clock (`13:50:40 GMT-7`) and
 * date (`Oct 06, 2022`); QGroundControl writes pairs of events, one with the names (`Depth:`) and one
 * with the values (`5.2 m`), lines split by `\N`.
 *
 * Events are timed from the video's first frame, so the subtitles are on the video's clock already:
 * the log's instants are the video start plus each event's start. The video start is the subtitles'
 * own clock where they carry one (Cockpit's time and date), else --video-start, else the Unix epoch
 * (then frames get their position but no real date).
 *
 * The columns are those of a CSV log: latitude, longitude, depth, altitude, heading, and every other
 * numeric line by its name in snake case (roll, pitch, battery_voltage). Angles in radians become
 * degrees; depths and altitudes in feet become metres.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { ffmpegPath } from '../sources/binaries.js';
import { NavLog, type Instant, type NavField } from './nav-log.js';

/** File extensions read as subtitles; a video container is searched for a subtitle track. */
export const SUBTITLE_EXTENSIONS = ['.ass', '.ssa'];
export const SUBTITLE_CONTAINERS = ['.mkv', '.mka', '.mks', '.webm', '.mp4', '.mov'];

/** Columns found by name when --nav-fields is not given, as for CSV logs. */
const KNOWN = ['latitude', 'longitude', 'depth', 'altitude', 'heading'];
const CIRCULAR = new Set(['heading', 'yaw', 'course']);
const NAMES: Record<string, string> = { lat: 'latitude', lon: 'longitude', lng: 'longitude', hdg: 'heading', yaw: 'heading', alt: 'altitude' };
const CLOCK = /^(\d{1,2}):(\d{2}):(\d{2})(?:\s*(?:GMT|UTC)([+-]\d{1,2})(?::?(\d{2}))?|\s*(?:GMT|UTC|Z))?$/i;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DATE = /^([A-Za-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4})$/;

export function isSubtitleNav(path: string): boolean {
  const ext = extname(path).toLowerCase();
  return SUBTITLE_EXTENSIONS.includes(ext) || SUBTITLE_CONTAINERS.includes(ext);
}

/** `H:MM:SS.cc` -> milliseconds. */
function assTime(text: string): number | undefined {
  const m = /^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(text.trim());
  return m ? (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 : undefined;
}

interface Event {
  startMs: number;
  /** The text's lines, override tags removed. */
  lines: string[];
  /** QGroundControl right-aligns its names column (`\an3`). */
  rightAligned: boolean;
}

/** The Dialogue events of an .ass/.ssa text, with the columns its Format line names. */
function readEvents(text: string, path: string): Event[] {
  const events: Event[] = [];
  let format: string[] | undefined;
  let inEvents = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (/^\[.*\]$/.test(line)) {
      inEvents = /^\[events\]$/i.test(line);
      continue;
    }
    if (!inEvents) continue;
    if (/^format:/i.test(line)) {
      format = line.slice(7).split(',').map((c) => c.trim().toLowerCase());
      continue;
    }
    if (!/^dialogue:/i.test(line) || !format) continue;
    // The Text field is last and may hold commas: split only as many times as there are other fields.
    const cells = line.slice(9).split(',');
    const fields = [...cells.slice(0, format.length - 1), cells.slice(format.length - 1).join(',')].map((c) => c.trim());
    const startMs = assTime(fields[format.indexOf('start')] ?? '');
    const textField = fields[format.indexOf('text')] ?? '';
    if (startMs === undefined) continue;
    events.push({
      startMs,
      rightAligned: /\\an3\b/.test(textField),
      lines: textField
        .replace(/\{[^}]*\}/g, '')
        .split(/\\[Nn]/)
        .map((l) => l.trim())
        .filter(Boolean),
    });
  }
  if (!format) throw new InputError(`${path}: no [Events] section with a Format line: not an .ass/.ssa subtitle file`);
  return events;
}

/** 'Battery voltage' -> 'battery_voltage'; lat / lon / hdg -> latitude / longitude / heading. */
function columnName(label: string): string {
  const name = label
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  return NAMES[name] ?? name;
}

/** '5.23 m' -> 5.23; '-0.05 rad' -> degrees; '12 ft' -> metres. NaN for text that is not a number. */
function valueOf(text: string): number {
  const m = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(.*)$/i.exec(text.trim());
  if (!m) return NaN;
  const value = Number(m[1]);
  const unit = m[2]!.trim().toLowerCase();
  if (unit === 'rad') return (value * 180) / Math.PI;
  if (unit === 'ft' || unit === 'feet') return value * 0.3048;
  return value;
}

interface Sample {
  ms: number;
  values: Map<string, number>;
  clock?: { ms: number; zoned: boolean };
  dayMs?: number;
}

/** Name/value pairs of one moment: Cockpit's `Name: value` lines, QGroundControl's names/values event pairs. */
function samplesOf(events: readonly Event[]): Sample[] {
  const byStart = new Map<number, Sample>();
  let pendingNames: string[] | undefined;
  for (const event of events) {
    const sample = byStart.get(event.startMs) ?? { ms: event.startMs, values: new Map<string, number>() };
    byStart.set(event.startMs, sample);
    if (event.rightAligned && event.lines.every((l) => l.endsWith(':'))) {
      pendingNames = event.lines.map((l) => l.slice(0, -1));
      continue;
    }
    if (pendingNames && pendingNames.length === event.lines.length) {
      pendingNames.forEach((name, i) => sample.values.set(columnName(name), valueOf(event.lines[i]!)));
      pendingNames = undefined;
      continue;
    }
    pendingNames = undefined;
    for (const line of event.lines) {
      const clock = CLOCK.exec(line);
      if (clock) {
        const offsetMinutes = clock[4] === undefined ? 0 : Number(clock[4]) * 60 + Math.sign(Number(clock[4]) || 1) * Number(clock[5] ?? 0);
        const zoned = /GMT|UTC|Z/i.test(line);
        sample.clock = { ms: ((Number(clock[1]) * 60 + Number(clock[2])) * 60 + Number(clock[3])) * 1000 - offsetMinutes * 60_000, zoned };
        continue;
      }
      const date = DATE.exec(line);
      if (date && MONTHS.includes(date[1]!.toLowerCase())) {
        sample.dayMs = Date.UTC(Number(date[3]), MONTHS.indexOf(date[1]!.toLowerCase()), Number(date[2]));
        continue;
      }
      const pair = /^([^:]+):\s*(.+)$/.exec(line);
      if (pair) sample.values.set(columnName(pair[1]!), valueOf(pair[2]!));
    }
  }
  return [...byStart.values()].sort((a, b) => a.ms - b.ms);
}

/** The subtitle text of a file: an .ass/.ssa as it is, a container's first subtitle track through ffmpeg. */
function subtitleText(path: string): string {
  const ext = extname(path).toLowerCase();
  if (SUBTITLE_EXTENSIONS.includes(ext)) {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? `navigation log not found: ${path}` : `cannot read ${path}: ${code}`, code === 'ENOENT' ? 'missing' : 'invalid');
    }
  }
  const run = spawnSync(ffmpegPath(), ['-v', 'error', '-nostdin', '-i', path, '-map', '0:s:0', '-f', 'ass', '-'], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (run.status !== 0) {
    const detail = run.stderr.trim().split('\n')[0] ?? '';
    if (/matches no streams/i.test(run.stderr)) throw new InputError(`${path} has no subtitle track to read telemetry from`);
    throw new InputError(`cannot read the subtitle track of ${path}: ${detail}`, /No such file/.test(detail) ? 'missing' : 'invalid');
  }
  return run.stdout;
}

export interface SubtitleNavOptions {
  /** Columns to carry; default: latitude, longitude, depth, altitude and heading, where present. */
  fields?: readonly string[];
  /** The video's first frame on a real clock, when the subtitles carry none (--video-start). */
  videoStart?: Instant;
}

/** Reads telemetry subtitles as a navigation log whose clock starts at the video's first frame. */
export function readSubtitleNav(path: string, options: SubtitleNavOptions = {}): NavLog {
  const samples = samplesOf(readEvents(subtitleText(path), path));
  if (!samples.length) throw new InputError(`${path}: the subtitles hold no telemetry events`);
  // Cockpit's clock and date on an event say when that event started: the video started that much earlier.
  const clocked = samples.find((s) => s.clock && s.dayMs !== undefined);
  const start: Instant = options.videoStart ??
    (clocked ? { ms: clocked.dayMs! + clocked.clock!.ms - clocked.ms, zoned: clocked.clock!.zoned } : { ms: 0, zoned: true });
  const available = [...new Set(samples.flatMap((s) => [...s.values.entries()].filter(([, v]) => Number.isFinite(v)).map(([k]) => k)))];
  const names = options.fields?.length
    ? options.fields.map((wanted) => {
        const name = columnName(wanted);
        if (!available.includes(name)) throw new UsageError(`--nav-fields: no '${wanted}' in ${path} (it has: ${available.join(', ')})`);
        return name;
      })
    : KNOWN.filter((name) => available.includes(name));
  if (!names.length) {
    throw new UsageError(`${path}: no latitude, longitude, depth, altitude or heading in the subtitles; name them with --nav-fields (it has: ${available.join(', ') || 'nothing numeric'})`);
  }
  const fields = names.map((name): NavField => {
    const circular = CIRCULAR.has(name);
    const kept = samples.flatMap((s) => {
      const v = s.values.get(name);
      return v !== undefined && Number.isFinite(v) ? [[start.ms + s.ms, circular ? ((v % 360) + 360) % 360 : v] as const] : [];
    });
    return { name, circular, times: Float64Array.from(kept, (k) => k[0]), values: Float64Array.from(kept, (k) => k[1]) };
  });
  return new NavLog(
    path,
    fields,
    Math.min(...fields.map((f) => f.times[0]!)),
    Math.max(...fields.map((f) => f.times[f.times.length - 1]!)),
    start.zoned,
    start,
  );
}
