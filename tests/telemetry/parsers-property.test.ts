/** Property-based tests (fast-check) of the navigation log and NMEA parsers: whatever arrives, they never throw anything untyped and never pass on an impossible value. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RovlensError } from '../../src/errors.js';
import { readNavLog } from '../../src/telemetry/nav-log.js';
import { nmeaChecksum, parseNmea } from '../../src/telemetry/nmea.js';

const dir = mkdtempSync(join(tmpdir(), 'rovlens-parsers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sentence = (body: string) => `$${body}*${nmeaChecksum(body)}`;

/** A number as a log or a device may write it: plain, exponent, huge, negative, junk. */
const numberText = fc.oneof(
  fc.double({ noNaN: true }).map(String),
  fc.integer({ min: -100_000, max: 100_000 }).map(String),
  fc.constantFrom('1e308', '-1e308', '9999', 'NaN', 'Infinity', '', 'NA', '12,5', '0x10'),
);

function expectSane(values: Record<string, number> | undefined): void {
  if (!values) return;
  for (const v of Object.values(values)) expect(Number.isFinite(v)).toBe(true);
  if (values.latitude !== undefined) expect(Math.abs(values.latitude)).toBeLessThanOrEqual(90);
  if (values.longitude !== undefined) expect(Math.abs(values.longitude)).toBeLessThanOrEqual(180);
  if (values.heading_deg !== undefined) expect(values.heading_deg >= 0 && values.heading_deg < 360).toBe(true);
  if (values.altitude_m !== undefined) expect(Math.abs(values.altitude_m)).toBeLessThanOrEqual(100_000);
}

describe('parseNmea', () => {
  it('never throws on any line, and returns only finite, possible values', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (line) => expectSane(parseNmea(line))));
  });

  it('keeps positions, headings and altitudes within what they can be, whatever the fields say', () => {
    fc.assert(
      fc.property(numberText, numberText, numberText, fc.constantFrom('N', 'S'), fc.constantFrom('E', 'W'), (a, b, c, ns, ew) => {
        expectSane(parseNmea(sentence(`GPGGA,120000,${a},${ns},${b},${ew},1,08,0.9,${c},M,,M,,`)));
        expectSane(parseNmea(sentence(`HEHDT,${a},T`)));
        expectSane(parseNmea(sentence(`HCHDG,${a},${b},E,${c},W`)));
      }),
    );
  });

  it('ignores a heading of 1e308 or 9999 and an altitude of 1e308', () => {
    expect(parseNmea(sentence('HEHDT,1e308,T'))).toBeUndefined();
    expect(parseNmea(sentence('HEHDT,9999,T'))).toBeUndefined();
    expect(parseNmea(sentence('HEHDT,359.5,T'))).toEqual({ heading_deg: 359.5 });
    expect(parseNmea(sentence('GPGGA,120000,4807.038,N,01131.000,E,1,08,0.9,1e308,M,,M,,'))).not.toHaveProperty('altitude_m');
  });
});

describe('readNavLog', () => {
  it('refuses a latitude of 9999 or a heading of 1e308 in one line naming the line (exit 4)', () => {
    const path = join(dir, 'impossible.csv');
    writeFileSync(path, 'time,latitude,longitude,heading\n2022-10-06T13:50:40Z,43.1,5.9,10\n2022-10-06T13:50:41Z,9999,5.9,10\n');
    expect(() => readNavLog(path)).toThrow(/impossible\.csv: line 3: latitude 9999 is not a latitude \(-90\.\.90\)/);
    writeFileSync(path, 'time,latitude,longitude,heading\n2022-10-06T13:50:40Z,43.1,5.9,1e308\n');
    try {
      readNavLog(path);
      expect.unreachable();
    } catch (error) {
      expect((error as RovlensError).exitCode).toBe(4);
      expect((error as Error).message).toMatch(/line 2: heading 1e308 is not a compass angle/);
    }
  });

  it('either reads a log or refuses it with a typed error, whatever its cells hold', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(numberText, numberText, numberText), { minLength: 1, maxLength: 6 }), (cells) => {
        const path = join(dir, `log-${run++}.csv`);
        const rows = cells.map(([lat, lon, hdg], i) => `2022-10-06T13:50:${String(40 + i).padStart(2, '0')}Z,${lat},${lon},${hdg}`);
        writeFileSync(path, ['time,latitude,longitude,heading', ...rows].join('\n'));
        try {
          const log = readNavLog(path);
          for (const field of log.fields) {
            for (const v of field.values) {
              expect(Number.isFinite(v)).toBe(true);
              if (field.name === 'latitude') expect(Math.abs(v)).toBeLessThanOrEqual(90);
              if (field.name === 'heading') expect(v >= 0 && v < 360).toBe(true);
            }
          }
        } catch (error) {
          expect(error).toBeInstanceOf(RovlensError);
          expect((error as Error).message).not.toMatch(/\n/);
        }
      }),
      { numRuns: 60 },
    );
  });
});
