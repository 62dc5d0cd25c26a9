import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, InputError, OutputError } from '../../src/errors.js';
import {
  MANIFEST_COLUMNS,
  ManifestWriter,
  formatManifestRow,
  manifestHeader,
  parseCrop,
  parseCsvRecords,
  parseManifest,
  readManifest,
  type ManifestRow,
} from '../../src/review/manifest.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rovlens-manifest-'));
});

const row = (over: Partial<ManifestRow> = {}): ManifestRow => ({
  source: join(dir, 'dive.mp4'),
  ptsSeconds: 12.5,
  floor: 'sandy',
  element: 'fauna',
  group: '3',
  crop: { widthFraction: 0.67, heightFraction: 1 },
  reviewer: 'ana',
  reviewedAt: '2026-12-07T13:00:00.000Z',
  predictedFloor: 'muddy',
  predictedElement: 'fauna',
  ...over,
});

describe('the manifest format', () => {
  it('has exactly the agreed header', () => {
    expect(manifestHeader()).toBe(
      'source,pts_seconds,floor,element,group,box_x0,box_y0,box_x1,box_y1,crop,reviewer,reviewed_at,predicted_floor,predicted_element\r\n',
    );
  });

  it('writes a source under the manifest folder relative to it, one elsewhere absolute, pts with 3 decimals', () => {
    const manifest = join(dir, 'labels.csv');
    expect(formatManifestRow(manifest, row({ ptsSeconds: 1 / 3 }))).toBe(
      'dive.mp4,0.333,sandy,fauna,3,,,,,0.67x1,ana,2026-12-07T13:00:00.000Z,muddy,fauna\r\n',
    );
    const outside = formatManifestRow(
      manifest,
      row({ source: '/elsewhere/a,b.jpg', ptsSeconds: undefined, floor: undefined, box: { x0: 0.1, y0: 0.2, x1: 0.55555, y1: 1 } }),
    );
    expect(outside).toBe('"/elsewhere/a,b.jpg",,,fauna,3,0.1,0.2,0.5556,1,0.67x1,ana,2026-12-07T13:00:00.000Z,muddy,fauna\r\n');
  });

  it('reads back what it writes, sources absolute, empty cells as absent', () => {
    const manifest = join(dir, 'sub', 'labels.csv');
    const rows = [
      row(),
      row({
        source: join(dir, 'sub', 'img "1".jpg'),
        ptsSeconds: undefined,
        element: undefined,
        box: { x0: 0, y0: 0.25, x1: 0.5, y1: 0.75 },
      }),
    ];
    const text = manifestHeader() + rows.map((r) => formatManifestRow(manifest, r)).join('');
    expect(text).toContain('\r\n"img ""1"".jpg",,sandy,,3,0,0.25,0.5,0.75,');
    expect(parseManifest(text, manifest)).toEqual({ rows, tornTail: false, wholeLength: text.length });
  });

  it('reads back any row it writes: names with commas, quotes, line breaks and non-ASCII letters', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '水', ',', '"', '\n', '\r\n', ' ', 'x') });
    const label = fc.option(
      text.filter((t) => t.trim() !== '' && t === t.trim()),
      { nil: undefined },
    );
    const fraction = fc.integer({ min: 1, max: 100 }).map((n) => n / 100);
    const manifest = join(dir, 'labels.csv');
    fc.assert(
      fc.property(
        text.filter((t) => t.trim() !== '' && t === t.trim()),
        fc.option(
          fc.integer({ min: 0, max: 10_000_000 }).map((ms) => ms / 1000),
          { nil: undefined },
        ),
        label,
        label,
        text.filter((t) => t.trim() !== '' && t === t.trim()),
        fc.record({ widthFraction: fraction, heightFraction: fraction }),
        (name, ptsSeconds, floor, element, group, crop) => {
          const written: ManifestRow = {
            source: join(dir, name),
            ...(ptsSeconds !== undefined ? { ptsSeconds } : {}),
            ...(floor !== undefined ? { floor } : {}),
            ...(element !== undefined ? { element } : {}),
            group,
            crop,
            reviewer: 'r',
            reviewedAt: 't',
          };
          const { rows } = parseManifest(manifestHeader() + formatManifestRow(manifest, written), manifest);
          expect(rows).toEqual([written]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts the columns in another order and LF line ends', () => {
    const columns = [...MANIFEST_COLUMNS].reverse();
    const values: Record<string, string> = { source: 'a.jpg', group: 'g', crop: '1x1', floor: 'reef', reviewer: 'bo', reviewed_at: 'now' };
    const text = `${columns.join(',')}\n${columns.map((c) => values[c] ?? '').join(',')}\n`;
    const [only] = parseManifest(text, join(dir, 'm.csv')).rows;
    expect(only).toEqual({
      source: join(dir, 'a.jpg'),
      floor: 'reef',
      group: 'g',
      crop: { widthFraction: 1, heightFraction: 1 },
      reviewer: 'bo',
      reviewedAt: 'now',
    });
  });

  it('keeps the later row when a frame appears twice', () => {
    const manifest = join(dir, 'labels.csv');
    const text =
      manifestHeader() + formatManifestRow(manifest, row({ element: 'waste' })) + formatManifestRow(manifest, row({ element: 'rocks' }));
    const { rows } = parseManifest(text, manifest);
    expect(rows.map((r) => r.element)).toEqual(['rocks']);
  });

  it('reports a line cut short instead of reading half a row', () => {
    const manifest = join(dir, 'labels.csv');
    const whole = manifestHeader() + formatManifestRow(manifest, row());
    const parsed = parseManifest(`${whole}dive.mp4,13.000,san`, manifest);
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.tornTail).toBe(true);
    expect(parsed.wholeLength).toBe(whole.length);
    // A quoted field left open is cut short too, even across a line end.
    expect(parseCsvRecords('a,"b\r\nc').complete).toBe(false);
  });

  it.each([
    ['a missing column', 'source,floor\r\nx,sandy\r\n', /missing columns pts_seconds, element/],
    ['a row of the wrong width', `${manifestHeader()}a.jpg,,sandy\r\n`, /line 2: 3 fields, the header has 14/],
    ['a bad time', `${manifestHeader()}a.mp4,-1,,,g,,,,,1x1,r,t,,\r\n`, /line 2: pts_seconds '-1'/],
    ['half a box', `${manifestHeader()}a.mp4,1,,,g,0.1,0.1,,,1x1,r,t,,\r\n`, /line 2: box/],
    ['a box outside the frame', `${manifestHeader()}a.mp4,1,,,g,0.1,0.1,1.2,0.5,1x1,r,t,,\r\n`, /line 2: box/],
    ['a crop that is not a fraction', `${manifestHeader()}a.mp4,1,,,g,,,,,67x100,r,t,,\r\n`, /line 2: crop '67x100'/],
    ['an empty group', `${manifestHeader()}a.mp4,1,,,,,,,,1x1,r,t,,\r\n`, /line 2: empty group/],
  ])('refuses %s with one line naming the place', (_name, text, message) => {
    const call = () => parseManifest(text, 'labels.csv');
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });

  it('parses crops', () => {
    expect(parseCrop('0.67x1')).toEqual({ widthFraction: 0.67, heightFraction: 1 });
    expect(parseCrop('0x1')).toBeUndefined();
    expect(parseCrop('1')).toBeUndefined();
  });

  it('says a missing file is missing (exit 3)', () => {
    try {
      readManifest(join(dir, 'none.csv'));
      expect.unreachable();
    } catch (error) {
      expect((error as InputError).exitCode).toBe(ExitCode.inputMissing);
    }
  });
});

describe('ManifestWriter', () => {
  let writer: ManifestWriter | undefined;
  afterEach(() => writer?.close());

  it('creates the file with its header, appends whole lines and resumes on reopening', () => {
    const manifest = join(dir, 'labels.csv');
    writer = ManifestWriter.open(manifest);
    expect(readFileSync(manifest, 'utf8')).toBe(manifestHeader());
    writer.write([row({ ptsSeconds: 1 }), row({ ptsSeconds: 2 })]);
    writer.write([row({ ptsSeconds: 3, group: '4' })]);
    writer.close();
    expect(existsSync(`${manifest}.lock`)).toBe(false);
    expect(readManifest(manifest).map((r) => r.ptsSeconds)).toEqual([1, 2, 3]);
    writer = ManifestWriter.open(manifest);
    expect(writer.rows().map((r) => r.group)).toEqual(['3', '3', '4']);
  });

  it('replaces a changed decision and removes an undone group, leaving a valid file', () => {
    const manifest = join(dir, 'labels.csv');
    writer = ManifestWriter.open(manifest);
    writer.write([row({ ptsSeconds: 1 }), row({ ptsSeconds: 2 })]);
    writer.write([row({ ptsSeconds: 5, group: '9' })]);
    writer.write([row({ ptsSeconds: 1, element: 'waste' }), row({ ptsSeconds: 2, element: 'waste' })]);
    expect(readManifest(manifest).map((r) => `${r.group}:${r.element}`)).toEqual(['9:fauna', '3:waste', '3:waste']);
    writer.removeGroups(['3']);
    expect(readManifest(manifest).map((r) => r.group)).toEqual(['9']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('drops a line a crash cut short when it resumes', () => {
    const manifest = join(dir, 'labels.csv');
    writeFileSync(manifest, manifestHeader() + formatManifestRow(manifest, row()) + 'dive.mp4,13.0');
    writer = ManifestWriter.open(manifest);
    writer.write([row({ ptsSeconds: 14 })]);
    const text = readFileSync(manifest, 'utf8');
    expect(text).not.toContain('13.0');
    expect(parseManifest(text, manifest).rows.map((r) => r.ptsSeconds)).toEqual([12.5, 14]);
  });

  it('refuses a second reviewer while the first holds the file (exit 6)', () => {
    const manifest = join(dir, 'labels.csv');
    writer = ManifestWriter.open(manifest);
    const second = () => ManifestWriter.open(manifest);
    expect(second).toThrow(OutputError);
    expect(second).toThrow(/being reviewed by another process \(pid \d+\)/);
  });

  it('takes over a lock left by a process that died, and drops the replacement it never renamed', async () => {
    const manifest = join(dir, 'labels.csv');
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = child.pid!;
    await new Promise((done) => child.on('exit', done));
    writeFileSync(`${manifest}.lock`, `${deadPid}\n`);
    writeFileSync(`${manifest}.${deadPid}.tmp`, 'half a replacement');
    // The test runner's parent is alive: its file is not ours to remove.
    writeFileSync(`${manifest}.${process.ppid}.tmp`, 'a live process');
    writer = ManifestWriter.open(manifest);
    expect(readFileSync(`${manifest}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    expect(existsSync(`${manifest}.${deadPid}.tmp`)).toBe(false);
    expect(existsSync(`${manifest}.${process.ppid}.tmp`)).toBe(true);
  });

  it('refuses a file that is not a manifest without touching it', () => {
    const manifest = join(dir, 'timeline.csv');
    writeFileSync(manifest, 'frame,floor\r\n1,sandy\r\n');
    expect(() => ManifestWriter.open(manifest)).toThrow(/not a labels manifest/);
    expect(readFileSync(manifest, 'utf8')).toBe('frame,floor\r\n1,sandy\r\n');
    expect(existsSync(`${manifest}.lock`)).toBe(false);
  });
});
