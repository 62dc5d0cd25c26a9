/**
 * Telemetry subtitles as a navigation source, on .ass files generated here in the shapes Cockpit and
 * QGroundControl write (one event per screen area and second; QGroundControl's names and values as
 * separate right- and left-aligned events), and an MKV with such a track muxed in by ffmpeg.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, InputError, UsageError } from '../../src/errors.js';
import type { VideoInfo } from '../../src/sources/probe.js';
import { NavJoin } from '../../src/runners/nav-join.js';
import { readSubtitleNav } from '../../src/telemetry/subtitle-nav.js';
import { runCli } from '../helpers/cli.js';
import { ffmpeg, SAMPLES, tmpFile } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const HEADER = (title: string) => `[Script Info]
Title: ${title}
ScriptType: v4.00+
WrapStyle: 0
ScaledBorderAndShadow: yes
YCbCr Matrix: TV.601
PlayResX: 1920
PlayResY: 1080

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,30,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,1,1,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text`;

const assTime = (s: number) => {
  const cs = Math.round(s * 100);
  return `${Math.floor(cs / 360000)}:${String(Math.floor(cs / 6000) % 60).padStart(2, '0')}:${String(Math.floor(cs / 100) % 60).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
};

/** The vehicle each second: 0.0001 degrees north, 0.5 m deeper, 10 degrees clockwise (through north). */
const truth = (s: number) => ({ latitude: 47.6302 + 0.0001 * s, longitude: -122.3982, depth: 5 + 0.5 * s, heading: (350 + 10 * s) % 360 });

/** As Cockpit writes it: grid areas with 'Name: value unit' lines, its clock (GMT-7) and date; angles in degrees. */
function cockpitAss(seconds: number): string {
  const lines = [HEADER('Cockpit Subtitle Telemetry file')];
  for (let s = 0; s < seconds; s++) {
    const v = truth(s);
    const [start, end] = [assTime(s), assTime(s + 1)];
    const wall = new Date(Date.UTC(2022, 9, 6, 20, 50, 40 + s) - 7 * 3600_000);
    const clock = `${String(wall.getUTCHours()).padStart(2, '0')}:${String(wall.getUTCMinutes()).padStart(2, '0')}:${String(wall.getUTCSeconds()).padStart(2, '0')} GMT-7`;
    lines.push(`Dialogue: 0,${start},${end},LeftBottom,,0,0,0,,Depth: ${v.depth.toPrecision(4)} m\\NHeading: ${v.heading.toFixed(1)} °\\NRoll: 1.5 °`);
    lines.push(`Dialogue: 0,${start},${end},CenterBotom,,0,0,0,,Latitude: ${v.latitude.toFixed(6)} °\\NLongitude: ${v.longitude.toFixed(6)} °`);
    lines.push(`Dialogue: 0,${start},${end},RightBottom,,0,0,0,,Cockpit\\N${clock}\\NOct 06, 2022`);
    lines.push(`Dialogue: 0,${start},${end},LeftTop,,0,0,0,,Mode: MANUAL\\NBattery voltage: 15.80 V`);
  }
  return `${lines.join('\n')}\n`;
}

/** As QGroundControl writes it: per column a right-aligned names event and a values event, then the date. */
function qgcAss(seconds: number): string {
  const lines = [HEADER('QGroundControl Subtitle Telemetry file')];
  for (let s = 0; s < seconds; s++) {
    const v = truth(s);
    const [start, end] = [assTime(s), assTime(s + 1)];
    lines.push(`Dialogue: 0,${start},${end},Default,,0,0,0,,{\\an3\\pos(645,1075)}Depth:\\NHeading:`);
    lines.push(`Dialogue: 0,${start},${end},Default,,0,0,0,,{\\pos(655,1075)}${v.depth.toFixed(1)} m\\N${v.heading.toFixed(0)} deg`);
    lines.push(`Dialogue: 0,${start},${end},Default,,0,0,0,,{\\an3\\pos(1300,1075)}Roll:\\NPitch:`);
    lines.push(`Dialogue: 0,${start},${end},Default,,0,0,0,,{\\pos(1310,1075)}0.02 rad\\N-3.0 deg`);
    lines.push(`Dialogue: 0,${start},${end},Default,,0,0,0,,{\\pos(10,35)}10/6/22`);
  }
  return `${lines.join('\n')}\n`;
}

const valueAt = (log: ReturnType<typeof readSubtitleNav>, name: string, ms: number) => log.at(ms, 10_000)[log.fields.findIndex((f) => f.name === name)];

describe('reading telemetry subtitles', () => {
  it("reads Cockpit's subtitles with the video's start from its clock and date, in UTC", () => {
    const path = tmpFile('cockpit.ass');
    writeFileSync(path, cockpitAss(10));
    const log = readSubtitleNav(path);
    expect(log.fields.map((f) => f.name)).toEqual(['latitude', 'longitude', 'depth', 'heading']);
    expect(log.videoStart).toEqual({ ms: Date.UTC(2022, 9, 6, 20, 50, 40), zoned: true });
    const start = log.videoStart!.ms;
    expect(valueAt(log, 'latitude', start + 3000)).toBeCloseTo(truth(3).latitude, 6);
    expect(valueAt(log, 'depth', start + 2500)).toBeCloseTo((truth(2).depth + truth(3).depth) / 2, 3);
    // 350 -> 0 degrees is a step of 10 through north, not 350 back.
    expect(valueAt(log, 'heading', start + 500)).toBeCloseTo(355, 6);
    expect(readSubtitleNav(path, { fields: ['Roll', 'battery voltage'] }).fields.map((f) => f.name)).toEqual(['roll', 'battery_voltage']);
  });

  it("reads QGroundControl's subtitles, pairing its names and values events, radians as degrees", () => {
    const path = tmpFile('qgc.ass');
    writeFileSync(path, qgcAss(6));
    const log = readSubtitleNav(path, { fields: ['depth', 'heading', 'roll', 'pitch'] });
    // No clock in QGroundControl's subtitles: the video starts at the epoch unless --video-start says when.
    expect(log.videoStart).toEqual({ ms: 0, zoned: true });
    expect(valueAt(log, 'depth', 4000)).toBeCloseTo(7, 6);
    expect(valueAt(log, 'heading', 4000)).toBe(30);
    expect(valueAt(log, 'roll', 1000)).toBeCloseTo((0.02 * 180) / Math.PI, 9);
    expect(valueAt(log, 'pitch', 1000)).toBe(-3);
    const given = { ms: Date.UTC(2024, 0, 2, 3, 4, 5), zoned: true };
    expect(valueAt(readSubtitleNav(path, { videoStart: given }), 'depth', given.ms + 4000)).toBeCloseTo(7, 6);
  });

  it('refuses a file that is not subtitles, subtitles without telemetry, and a field they lack, in one line', () => {
    const notAss = tmpFile('not-subtitles.ass');
    writeFileSync(notAss, 'time,lat\n1,2\n');
    expect(() => readSubtitleNav(notAss)).toThrow(InputError);
    expect(() => readSubtitleNav(notAss)).toThrow(/no \[Events\] section/);
    const words = tmpFile('words.ass');
    writeFileSync(words, `${HEADER('x')}\nDialogue: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,Hello\n`);
    expect(() => readSubtitleNav(words)).toThrow(UsageError);
    const cockpit = tmpFile('cockpit-fields.ass');
    writeFileSync(cockpit, cockpitAss(3));
    expect(() => readSubtitleNav(cockpit, { fields: ['salinity'] })).toThrow(/--nav-fields: no 'salinity' in .* \(it has: depth, heading, roll, latitude, longitude, battery_voltage\)/);
  });
});

describe('joining telemetry subtitles', () => {
  it('starts the join at the subtitles’ own start and refuses them for a second video', () => {
    const path = tmpFile('join-cockpit.ass');
    writeFileSync(path, cockpitAss(4));
    const join = NavJoin.open({ nav: path, navOffset: -2, navMaxGap: 10 }, () => true)!;
    const info = (input: string) => ({ input, durationSeconds: 4 }) as VideoInfo;
    expect(join.forVideo(info('a.mp4')).videoStart).toEqual({ ms: Date.UTC(2022, 9, 6, 20, 50, 38), zoned: true });
    expect(() => join.forVideo(info('b.mp4'))).toThrow(`${path} is the telemetry of one video (a.mp4): run b.mp4 with its own subtitles`);
  });
});

describe('rovlens timeline --nav <subtitles> (spawned, tiny model)', () => {
  const SD = join(SAMPLES, 'seafloor-sd.mp4');
  let model: string;
  beforeAll(() => {
    model = writeTinyModel(tmpFile('subtitle-nav-model')).modelPath;
  });
  type Row = Record<string, string>;

  it('joins a Cockpit .ass beside the video to every frame, with real times from its clock', async () => {
    const ass = tmpFile('sd-cockpit.ass');
    writeFileSync(ass, cockpitAss(12));
    const run = await runCli(['timeline', SD, '--model', model, '--nav', ass, '--every', '2', '-q']);
    expect(run.code, run.stderr).toBe(0);
    const rows = parse(run.stdout, { columns: true }) as Row[];
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) {
      const s = Number(row.pts_seconds);
      expect(row.nav_time).toBe(new Date(Date.UTC(2022, 9, 6, 20, 50, 40) + s * 1000).toISOString());
      expect(Number(row.nav_latitude)).toBeCloseTo(truth(s).latitude, 6);
      expect(Number(row.nav_depth)).toBeCloseTo(truth(s).depth, 3);
    }
  });

  it('reads the subtitle track of an MKV, as ffmpeg muxed it', async () => {
    const ass = tmpFile('sd-qgc.ass');
    writeFileSync(ass, qgcAss(12));
    const mkv = tmpFile('sd-with-telemetry.mkv');
    ffmpeg(['-i', SD, '-i', ass, '-map', '0:v', '-map', '1:s', '-c:v', 'copy', '-c:s', 'ass', mkv]);
    const run = await runCli(['timeline', SD, '--model', model, '--nav', mkv, '--nav-fields', 'depth,heading', '--every', '2', '-q']);
    expect(run.code, run.stderr).toBe(0);
    const rows = parse(run.stdout, { columns: true }) as Row[];
    for (const row of rows) {
      const s = Number(row.pts_seconds);
      expect(Number(row.nav_depth)).toBeCloseTo(Number((5 + 0.5 * s).toFixed(1)), 1);
    }
    const noTrack = await runCli(['timeline', SD, '--model', model, '--nav', SD, '-q']);
    expect(noTrack.code).toBe(ExitCode.inputInvalid);
    expect(noTrack.stderr).toMatch(/^rovlens: .*seafloor-sd\.mp4 has no subtitle track to read telemetry from\n$/);
  });
});
