import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ffmpeg, SAMPLES, tmpFile } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { SURVEY_START, writeSurveyLog } from '../../samples/survey-log.js';

const SD = join(SAMPLES, 'seafloor-sd.mp4');
type Row = Record<string, string>;
const readCsv = (path: string): Row[] => parse(readFileSync(path, 'utf8'), { columns: true }) as Row[];

/** A log every 2 s from `start` over 8 s: latitude +0.001 and heading +10 degrees (through north) per record. */
function writeLog(name: string, start: string, zone: string): string {
  const path = tmpFile(name);
  const t0 = Date.parse(`${start}Z`);
  const rows = [0, 1, 2, 3, 4].map((k) => {
    const time = new Date(t0 + 2000 * k).toISOString().slice(0, 19);
    return `${time}${zone},${(47 + 0.001 * k).toFixed(3)},-122.5,${10 + k},${(350 + 10 * k) % 360}`;
  });
  writeFileSync(path, ['timestamp,lat,lon,depth,heading', ...rows].join('\n') + '\n');
  return path;
}

describe('rovlens timeline --nav (spawned as a user runs it, tiny model)', () => {
  let model: string;
  const timeline = (args: string[]) => runCli(['timeline', '--model', model, ...args]);
  let dated: string;
  beforeAll(() => {
    model = writeTinyModel(tmpFile('nav-model')).modelPath;
    // The SD sample as a camera would write it: with the instant recording began.
    dated = tmpFile('nav-dated.mp4');
    ffmpeg(['-i', SD, '-c', 'copy', '-metadata', 'creation_time=2022-10-06T13:50:40.000000Z', dated]);
  });

  it('shows the creation_time that the join starts from in rovlens probe', async () => {
    const text = await runCli(['probe', dated]);
    expect(text.stdout).toMatch(/^created\s+2022-10-06T13:50:40\.000000Z$/m);
    expect(JSON.parse((await runCli(['probe', dated, '--json'])).stdout).creationTime).toBe('2022-10-06T13:50:40.000000Z');
    expect((await runCli(['probe', SD])).stdout).toMatch(/^created\s+unknown$/m);
  });

  it("puts each frame on the map from the file's creation_time, interpolated, with positions in the segments", async () => {
    const log = writeLog('nav-utc.csv', '2022-10-06T13:50:40', 'Z');
    const out = tmpFile('nav-timeline.csv');
    const segments = tmpFile('nav-segments.csv');
    const run = await timeline([dated, '--nav', log, '-o', out, '--segments', segments]);
    expect(run.code).toBe(0);
    const header = readFileSync(out, 'utf8').split('\r\n')[0]!.split(',');
    expect(header.slice(3, 9)).toEqual(['timecode', 'nav_time', 'nav_lat', 'nav_lon', 'nav_depth', 'nav_heading']);
    const rows = readCsv(out);
    expect(rows.map((r) => r.nav_time)).toEqual([...Array(10).keys()].map((s) => `2022-10-06T13:50:4${s}.000Z`));
    expect(rows.slice(0, 9).map((r) => Number(r.nav_lat))).toEqual([
      47, 47.0005, 47.001, 47.0015, 47.002, 47.0025, 47.003, 47.0035, 47.004,
    ]);
    expect(rows.slice(0, 5).map((r) => Number(r.nav_heading))).toEqual([350, 355, 0, 5, 10]);
    expect(Number(rows[3]!.nav_depth)).toBe(11.5);
    // 13:50:49 is past the log's last record: the instant stays, the position is left empty and counted.
    expect([rows[9]!.nav_lat, rows[9]!.nav_heading]).toEqual(['', '']);
    expect(run.stderr).toMatch(/10 frames in .*, 1 with no navigation values \(outside the log or in its gaps\)/);
    // Sand for 5 s then mud: each floor segment starts and ends where the vehicle was (sand ends where
    // mud starts; the mud's last frame is past the log).
    const floor = readCsv(segments).filter((s) => s.track === 'floor');
    expect(floor.map((s) => [s.label, s.start_lat, s.end_lat, s.start_heading, s.end_heading])).toEqual([
      ['sandy', '47', '47.0025', '350', '15'],
      ['muddy', '47.0025', '', '15', ''],
    ]);
    const jsonl = await timeline([dated, '--nav', log, '--format', 'jsonl', '--every', '4', '-q']);
    const records = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => !l.rovlensRun);
    expect(records[1].nav).toEqual({ time: '2022-10-06T13:50:44.000Z', values: { lat: 47.002, lon: -122.5, depth: 12, heading: 10 } });
  });

  it('joins the bundled sample log to the sample clip as the README shows, and the log is what its script writes', async () => {
    const bundled = join(SAMPLES, 'seafloor-sd-nav.csv');
    const rebuilt = tmpFile('survey-log.csv');
    writeSurveyLog(rebuilt);
    expect(readFileSync(rebuilt, 'utf8')).toBe(readFileSync(bundled, 'utf8'));
    const segments = tmpFile('sample-nav-segments.csv');
    const run = await timeline([SD, '--nav', bundled, '--video-start', SURVEY_START, '--segments', segments, '-q']);
    expect(run.code).toBe(0);
    // Frames every second land on the log's records: the values are the log's own.
    const log = readCsv(bundled);
    const rows = parse(run.stdout, { columns: true }) as Row[];
    expect(rows.map((r) => [r.nav_latitude, r.nav_longitude, r.nav_heading_deg].map(Number))).toEqual(
      log.slice(0, 10).map((r) => [r.latitude, r.longitude, r.heading_deg].map(Number)),
    );
    const floor = readCsv(segments).filter((s) => s.track === 'floor');
    expect(floor.map((s) => [s.label, Number(s.start_depth_m), Number(s.end_depth_m)])).toEqual([
      ['sandy', 38.2, 38.4],
      ['muddy', 38.4, 38.56],
    ]);
  });

  it('shifts every video by --nav-offset, for a camera clock that runs ahead of the log', async () => {
    const log = writeLog('nav-offset.csv', '2022-10-06T13:50:40', 'Z');
    const run = await timeline([dated, '--nav', log, '--nav-offset', '-2', '--every', '2', '-q']);
    expect(run.code).toBe(0);
    const rows = parse(run.stdout, { columns: true }) as Row[];
    expect(rows.map((r) => [r.nav_time, r.nav_lat])).toEqual([
      ['2022-10-06T13:50:38.000Z', ''],
      ['2022-10-06T13:50:40.000Z', '47'],
      ['2022-10-06T13:50:42.000Z', '47.001'],
      ['2022-10-06T13:50:44.000Z', '47.002'],
      ['2022-10-06T13:50:46.000Z', '47.003'],
    ]);
  });

  it('writes one habitat map (GeoJSON) for all inputs of a run: segments as lines along the track, frames as points', async () => {
    const log = writeLog('nav-map.csv', '2022-10-06T13:50:40', 'Z');
    const later = tmpFile('nav-dated-later.mp4');
    ffmpeg(['-i', SD, '-c', 'copy', '-metadata', 'creation_time=2022-10-06T13:50:44Z', later]);
    const out = tmpFile('nav-map-out') + '/';
    const geojson = tmpFile('nav-map.geojson');
    const run = await timeline([dated, later, '--nav', log, '-o', out, '--geojson', geojson, '-q']);
    expect(run.code).toBe(0);
    const map = JSON.parse(readFileSync(geojson, 'utf8'));
    expect(map.type).toBe('FeatureCollection');
    type Feature = { geometry: { type: string; coordinates: number[] | number[][] }; properties: Record<string, string | number> };
    const features = map.features as Feature[];
    // The first clip's sand: its frames at 0-5 s, on the log's positions at 13:50:40-45 (lon, lat).
    const sand = features.find((f) => f.properties.kind === 'segment' && f.properties.source === dated && f.properties.label === 'sandy')!;
    expect(sand.geometry).toEqual({
      type: 'LineString',
      coordinates: [0, 1, 2, 3, 4, 5].map((s) => [-122.5, Number((47 + 0.0005 * s).toFixed(4))]),
    });
    expect(sand.properties).toMatchObject({ track: 'floor', start: '00:00:00.000', end: '00:00:05.000', frames: 5 });
    // Points only where the log has a position: 13:50:40-48, so 9 frames of the first clip and 5 of the second.
    const points = features.filter((f) => f.properties.kind === 'frame');
    expect(points.filter((f) => f.properties.source === dated)).toHaveLength(9);
    expect(points.filter((f) => f.properties.source === later)).toHaveLength(5);
    expect(points[1]!.properties).toMatchObject({ time: '2022-10-06T13:50:41.000Z', nav_depth: 10.5, floor: 'sandy' });
  });

  it('refuses a map without positions', async () => {
    const noNav = await timeline([SD, '--geojson', tmpFile('x.geojson'), '-q']);
    expect([noNav.code, noNav.stderr.trim()]).toEqual([2, 'rovlens: --geojson: needs --nav <log.csv> (the positions)']);
    const log = writeLog('nav-depth-only.csv', '2022-10-06T13:50:40', 'Z');
    const depthOnly = await timeline([dated, '--nav', log, '--nav-fields', 'depth', '--geojson', tmpFile('y.geojson'), '-q']);
    expect(depthOnly.code).toBe(2);
    expect(depthOnly.stderr).toMatch(/--geojson: .*nav-depth-only\.csv has no latitude and longitude columns among those joined \(depth\)/);
    // A folder that cannot take the map is said before anything is decoded.
    const unwritable = await timeline([dated, '--nav', log, '--geojson', '/proc/no-such-dir/map.geojson', '-q']);
    expect([unwritable.code, unwritable.stderr.trim(), unwritable.stdout]).toEqual([
      6,
      'rovlens: --geojson: cannot write /proc/no-such-dir/map.geojson: the folder /proc is not writable',
      '',
    ]);
  });

  it('takes --video-start on the log’s own clock, and says when a clock has no zone', async () => {
    const local = writeLog('nav-local.csv', '2022-10-06T06:50:40', '');
    const run = await timeline([SD, '--nav', local, '--video-start', '2022-10-06T06:50:42', '--every', '2', '-q']);
    expect(run.code).toBe(0);
    const rows = parse(run.stdout, { columns: true }) as Row[];
    expect(rows.map((r) => [r.nav_time, r.nav_lat])).toEqual([
      ['2022-10-06T06:50:42.000', '47.001'],
      ['2022-10-06T06:50:44.000', '47.002'],
      ['2022-10-06T06:50:46.000', '47.003'],
      ['2022-10-06T06:50:48.000', '47.004'],
      ['2022-10-06T06:50:50.000', ''],
    ]);
    expect(run.stderr).toBe('');
    // A log without zones against the file's UTC creation_time: read as UTC, and said once.
    const mixed = await timeline([dated, '--nav', writeLog('nav-naive.csv', '2022-10-06T13:50:40', ''), '-q']);
    expect(mixed.code).toBe(0);
    expect(mixed.stderr.trim()).toMatch(/^rovlens: .*nav-naive\.csv's times have no time zone: read as UTC/);
    expect((parse(mixed.stdout, { columns: true }) as Row[])[2]!.nav_lat).toBe('47.001');
  });

  it.each([
    [
      'a log that misses the video',
      () => ['--video-start', '2030-01-01T00:00:00Z'],
      2,
      /and .*nav-utc2\.csv \(.*\) do not overlap: check --video-start/,
    ],
    ['no creation_time and no --video-start', () => [], 2, /seafloor-sd\.mp4 has no creation_time: give --video-start/],
  ])('refuses %s in one line', async (_what, extra, code, message) => {
    const log = writeLog('nav-utc2.csv', '2022-10-06T13:50:40', 'Z');
    const run = await timeline([SD, '--nav', log, ...extra(), '-q']);
    expect(run.code).toBe(code);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses nav options without --nav, one start for several files, and a missing log', async () => {
    const orphan = await timeline([SD, '--nav-time', 'time', '-q']);
    expect([orphan.code, orphan.stderr.trim()]).toEqual([2, 'rovlens: --nav-time: needs --nav <log.csv>']);
    const offset = await timeline([SD, '--nav-offset', '3', '-q']);
    expect([offset.code, offset.stderr.trim()]).toEqual([2, 'rovlens: --nav-offset: needs --nav <log.csv>']);
    const log = writeLog('nav-utc3.csv', '2022-10-06T13:50:40', 'Z');
    const two = await timeline([SD, dated, '--nav', log, '--video-start', '2022-10-06T13:50:40Z', '-q']);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/^rovlens: --video-start: one start for several inputs/);
    const missing = await timeline([SD, '--nav', tmpFile('no-such-log.csv'), '-q']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^rovlens: navigation log not found: .*no-such-log\.csv\n$/);
  });
});
