import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, RovlensError } from '../../src/errors.js';
import { formatInstant, inferDateOrder, parseInstant, readNavLog } from '../../src/telemetry/nav-log.js';
import { SAMPLES, tmpFile } from '../helpers/clips.js';
import { describeWithData, sharedPath } from '../helpers/shared-data.js';

const at = (iso: string) => Date.parse(iso);

function writeLog(name: string, lines: string[]): string {
  const path = tmpFile(name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('parseInstant', () => {
  it('reads ISO 8601 with a zone as UTC, without one on the log’s own clock, and Unix seconds or milliseconds', () => {
    expect(parseInstant('2022-10-06T13:50:40Z')).toEqual({ ms: at('2022-10-06T13:50:40Z'), zoned: true });
    expect(parseInstant('2022-10-06T13:50:40.250+02:00')).toEqual({ ms: at('2022-10-06T11:50:40.250Z'), zoned: true });
    expect(parseInstant('2022-10-06 13:50:40 -0530')).toEqual({ ms: at('2022-10-06T19:20:40Z'), zoned: true });
    expect(parseInstant('2022-10-06T13:50:40')).toEqual({ ms: at('2022-10-06T13:50:40Z'), zoned: false });
    expect(parseInstant('1665064240')).toEqual({ ms: at('2022-10-06T13:50:40Z'), zoned: true });
    expect(parseInstant('1665064240500')).toEqual({ ms: at('2022-10-06T13:50:40.500Z'), zoned: true });
  });

  it('refuses what is not an instant: times of day, impossible dates, words', () => {
    for (const text of ['13:50:40', '2022-02-30T10:00:00', '2022-10-06T25:00:00', 'NA', '', '42']) {
      expect(parseInstant(text), text).toBeUndefined();
    }
  });

  it('writes instants back as ISO 8601, with Z only when the zone is known', () => {
    expect(formatInstant(at('2022-10-06T13:50:40.5Z'), true)).toBe('2022-10-06T13:50:40.500Z');
    expect(formatInstant(at('2022-10-06T13:50:40.5Z'), false)).toBe('2022-10-06T13:50:40.500');
  });
});

describe('inferDateOrder', () => {
  it('tells the order from a part that can only be a day, and says when it cannot', () => {
    expect(inferDateOrder(['2022/10/06'])).toBe('ymd');
    expect(inferDateOrder(['10/6/2022', '10/13/2022'])).toBe('mdy');
    expect(inferDateOrder(['6/10/2022', '13/10/2022'])).toBe('dmy');
    expect(inferDateOrder(['10/6/2022', '11/6/2022'])).toBeUndefined();
    expect(inferDateOrder(['2022-10-06'])).toBe('ymd');
  });
});

describe('readNavLog', () => {
  it('reads date and time columns, finds position, depth and heading by name, and sorts the records', () => {
    const path = writeLog('nav-dmy.csv', [
      'date,time,Latitude,Longitude,depth_m,Heading,temp',
      '13/10/2022,10:00:02,47.2,-122.2,12.0,350,10.1',
      '13/10/2022,10:00:00,47.0,-122.0,10.0,340,10.0',
      '13/10/2022,10:00:04,47.4,-122.4,NA,10,10.2',
    ]);
    const log = readNavLog(path);
    expect(log.fields.map((f) => [f.name, f.circular])).toEqual([
      ['Latitude', false],
      ['Longitude', false],
      ['depth_m', false],
      ['Heading', true],
    ]);
    expect(log.zoned).toBe(false);
    expect(log.startMs).toBe(at('2022-10-13T10:00:00Z'));
    expect(log.endMs).toBe(at('2022-10-13T10:00:04Z'));
    // Linear between records; the heading turns the short way through north; depth, NA in the last
    // record, has records up to 10:00:02 only.
    const [lat, lon, depth, heading] = log.at(at('2022-10-13T10:00:01Z'), 10_000);
    expect(lat).toBeCloseTo(47.1, 10);
    expect(lon).toBeCloseTo(-122.1, 10);
    expect(depth).toBeCloseTo(11, 10);
    expect(heading).toBeCloseTo(345, 10);
    expect(log.at(at('2022-10-13T10:00:03Z'), 10_000)[3]).toBeCloseTo(0, 10);
    expect(log.at(at('2022-10-13T10:00:03Z'), 10_000)[2]).toBeNaN();
    expect(log.at(at('2022-10-13T10:00:04Z'), 10_000)[0]).toBe(47.4);
    // Outside the log, or across a gap longer than allowed: nothing.
    expect(log.at(at('2022-10-13T09:59:59Z'), 10_000).every(Number.isNaN)).toBe(true);
    expect(log.at(at('2022-10-13T10:00:05Z'), 10_000).every(Number.isNaN)).toBe(true);
    expect(log.at(at('2022-10-13T10:00:01Z'), 1_000).every(Number.isNaN)).toBe(true);
  });

  it('reads an ISO or Unix time column, and the columns it is told to carry', () => {
    const iso = writeLog('nav-iso.csv', ['timestamp,x,y', '2022-10-06T13:50:40Z,1,2', '2022-10-06T13:50:42Z,3,4']);
    const log = readNavLog(iso, { fields: ['y'] });
    expect(log.zoned).toBe(true);
    expect(log.fields.map((f) => f.name)).toEqual(['y']);
    expect(log.at(at('2022-10-06T13:50:41Z'), 10_000)).toEqual([3]);
    const unix = writeLog('nav-unix.csv', ['epoch,lat,lon', '1665064240,1,2', '1665064250,2,3']);
    expect(readNavLog(unix).at(at('2022-10-06T13:50:45Z'), 10_000)).toEqual([1.5, 2.5]);
    const named = writeLog('nav-named.csv', ['day,clock,lat', '2022-10-06,13:50:40,1', '2022-10-06,13:50:41,2']);
    expect(readNavLog(named, { time: 'day+clock' }).startMs).toBe(at('2022-10-06T13:50:40Z'));
  });

  it('interpolates each field between its own records, when sensors write different rows', () => {
    const path = writeLog('nav-sparse.csv', [
      'time,latitude,longitude,depth_m',
      '2026-05-14T09:30:00.0Z,43.000,7.000,',
      '2026-05-14T09:30:00.5Z,,,31',
      '2026-05-14T09:30:01.0Z,43.002,7.002,',
      '2026-05-14T09:30:01.5Z,,,33',
    ]);
    const [lat, lon, depth] = readNavLog(path).at(at('2026-05-14T09:30:00.75Z'), 10_000);
    expect([lat, lon, depth].map((v) => Number(v!.toFixed(6)))).toEqual([43.0015, 7.0015, 31.5]);
  });

  it('keeps compass angles in 0..360 and wraps only whole heading names (not a yaw rate)', () => {
    const path = writeLog('nav-angles.csv', [
      'timestamp,lat,heading,yaw_rate',
      '2022-10-06T13:50:40Z,1,-90,-4',
      '2022-10-06T13:50:42Z,1,-70,-6',
    ]);
    const log = readNavLog(path, { fields: ['heading', 'yaw_rate'] });
    expect(log.fields.map((f) => f.circular)).toEqual([true, false]);
    expect(log.at(at('2022-10-06T13:50:40Z'), 10_000)).toEqual([270, -4]);
    expect(log.at(at('2022-10-06T13:50:41Z'), 10_000)).toEqual([280, -5]);
  });

  it('reads untidy files: semicolons with decimal commas, tabs, comments, a cut-short last line, zones and two-digit years', () => {
    const european = writeLog('nav-semicolon.csv', [
      '# exported by the topside',
      'Zeit;Breite;Tiefe',
      '2022-10-06T13:50:40Z;43,5;10,25',
      '2022-10-06T13:50:42Z;43,7;10,75',
    ]);
    expect(
      readNavLog(european, { time: 'zeit', fields: ['breite', 'TIEFE'] })
        .at(at('2022-10-06T13:50:41Z'), 10_000)
        .map((v) => Number(v.toFixed(6))),
    ).toEqual([43.6, 10.5]);
    const tabs = writeLog('nav-tabs.csv', [
      'timestamp\tlat\tlon',
      '2022-10-06 13:50:40 UTC\t1\t2',
      '2022-10-06 15:50:42+02\t3\t4',
      '2022-10-06T13:50:44Z\t5',
    ]);
    const log = readNavLog(tabs);
    expect(log.zoned).toBe(true);
    expect(log.at(at('2022-10-06T13:50:41Z'), 10_000)).toEqual([2, 3]);
    // The last line was cut short: its latitude counts, its missing longitude is no record.
    expect(log.at(at('2022-10-06T13:50:44Z'), 10_000)).toEqual([5, NaN]);
    const excel = writeLog('nav-excel.csv', ['datetime,lat', '10/13/22 13:50,1', '10/13/22 13:51,2']);
    expect(readNavLog(excel).startMs).toBe(at('2022-10-13T13:50:00Z'));
  });

  it('gives one clear line for a log it cannot use, with the exit code of its kind', () => {
    const expectError = (fn: () => unknown, code: number, message: RegExp) => {
      let thrown: unknown;
      try {
        fn();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(RovlensError);
      expect((thrown as RovlensError).exitCode).toBe(code);
      expect((thrown as Error).message).toMatch(message);
    };
    const [missing, invalid, usage] = [ExitCode.inputMissing, ExitCode.inputInvalid, ExitCode.usage];
    expectError(() => readNavLog(tmpFile('no-such-nav.csv')), missing, /^navigation log not found: /);
    const ambiguous = writeLog('nav-ambiguous.csv', ['date,time,lat', '10/6/2022,13:50:40,1']);
    expectError(() => readNavLog(ambiguous), usage, /10\/6\/2022 can be read month first or day first; say which with --nav-date-order/);
    expect(readNavLog(ambiguous, { dateOrder: 'mdy' }).startMs).toBe(at('2022-10-06T13:50:40Z'));
    const noTime = writeLog('nav-no-time.csv', ['when,lat', 'soon,1']);
    expectError(
      () => readNavLog(noTime),
      usage,
      /cannot tell which column holds the time; name it with --nav-time .*\(columns: when, lat\)/,
    );
    const badRow = writeLog('nav-bad-row.csv', ['timestamp,lat', '2022-10-06T13:50:40Z,1', 'garbled,2']);
    expectError(() => readNavLog(badRow), invalid, /nav-bad-row\.csv line 3: cannot read 'garbled' as a date and time/);
    const noFields = writeLog('nav-no-fields.csv', ['timestamp,speed', '2022-10-06T13:50:40Z,1']);
    expectError(
      () => readNavLog(noFields),
      usage,
      /no latitude, longitude, depth, altitude or heading column found; name them with --nav-fields/,
    );
    expectError(
      () => readNavLog(noFields, { fields: ['lat'] }),
      usage,
      /--nav-fields: no column 'lat' in .* \(columns: timestamp, speed\)/,
    );
    expectError(() => readNavLog(writeLog('nav-empty.csv', ['timestamp,lat'])), invalid, /has no rows/);
    const video = join(SAMPLES, 'seafloor-sd.mp4');
    expectError(() => readNavLog(video), invalid, /seafloor-sd\.mp4 is not a text file; a navigation log is a CSV$/);
    const twice = writeLog('nav-twice.csv', ['timestamp,lat,lat', '2022-10-06T13:50:40Z,1,2']);
    expectError(() => readNavLog(twice), invalid, /the column 'lat' appears twice in the header/);
    const clockChange = writeLog('nav-dst.csv', [
      'time_utc,lat',
      '2022-10-30T02:59:00,1',
      '2022-10-30T02:59:30,2',
      '2022-10-30T02:00:00,3',
    ]);
    expectError(() => readNavLog(clockChange), invalid, /nav-dst\.csv line 4: the time goes back by 3570 s \(a clock change\?\)/);
    const words = writeLog('nav-words.csv', ['timestamp,lat', '2022-10-06T13:50:40Z,north']);
    expectError(() => readNavLog(words), usage, /the column 'lat' holds no numbers/);
    const badSeconds = writeLog('nav-seconds.csv', ['date,time,lat', '2022-10-06,13:50:75,1']);
    expectError(() => readNavLog(badSeconds), invalid, /line 2: cannot read '2022-10-06 13:50:75'/);
  });
});

describeWithData('readNavLog on a real ROV navigation log (BlueROV2 survey, 1 Hz)', () => {
  it('reads its 492 records with month-first dates and interpolates between them', () => {
    const log = readNavLog(sharedPath('telemetry/seattle_aquarium_bluerov2_2022-10-06_T1_nav.csv'), { dateOrder: 'mdy' });
    expect(log.fields.map((f) => f.times.length)).toEqual([492, 492, 492, 492]);
    expect(log.fields.map((f) => f.name)).toEqual(['lat', 'lon', 'depth', 'heading']);
    expect(formatInstant(log.startMs, log.zoned)).toBe('2022-10-06T13:50:40.000');
    expect(formatInstant(log.endMs, log.zoned)).toBe('2022-10-06T13:58:51.000');
    // Rows 13:50:42 (depth -6.5532) and 13:50:43 (lat 47.6302642, depth -6.52272), from the file.
    const [lat, , depth] = log.at(at('2022-10-06T13:50:42.5Z'), 10_000);
    expect(lat).toBeCloseTo((47.630268 + 47.6302642) / 2, 9);
    expect(depth).toBeCloseTo((-6.5532 + -6.52272) / 2, 9);
  });
});
