/**
 * Where the element heatmap peaks on footage with burned-in telemetry text, with and without the
 * overlay mask: runs `rovlens timeline` (the built CLI, bundled model unless --model) twice on a clip,
 * with --overlay-mask off and auto, and scores each frame's element_peak against the mask auto
 * found (written with --save-overlay-mask): peaks on it, and peaks within --margin pixels of it (the
 * element map is 7x7 cells over the crop, so a cell next to the text has its peak about one cell
 * away). A peak stuck in one place while the camera moves is the other sign of a map held by the
 * overlay: the share of frames at the most frequent peak position is printed too.
 *
 *   npm run build && npx tsx bench/overlay-mask.ts [--clip <video>] [--every 1] [--model <onnx>] [--margin 48]
 *
 * Default clip: the JAMSTEC deep-sea ROV sample in the development data (clips/jamstec_trash_480x360.mp4).
 * Prints one table: frames, peaks on the overlay, element labels that changed, masked share.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { dilate } from '../src/overlay/detect.js';

const { values } = parseArgs({
  options: {
    clip: { type: 'string', default: resolve(import.meta.dirname, '../../shared/data/clips/jamstec_trash_480x360.mp4') },
    every: { type: 'string', default: '1' },
    model: { type: 'string' },
    margin: { type: 'string', default: '48' },
  },
});
const bin = resolve(import.meta.dirname, '../bin/rovlens.js');
const dir = mkdtempSync(join(tmpdir(), 'rovlens-bench-overlay-'));
type Row = Record<string, string>;

function timeline(setting: string, extra: string[]): Row[] {
  const out = join(dir, `${setting}.csv`);
  const args = [bin, 'timeline', values.clip!, '--every', values.every!, '-o', out, '--overlay-mask', setting, ...extra];
  if (values.model) args.push('--model', values.model);
  execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return parse(readFileSync(out, 'utf8'), { columns: true }) as Row[];
}

const maskPath = join(dir, 'mask.png');
const auto = { rows: timeline('auto', ['--save-overlay-mask', maskPath]) };
const off = { rows: timeline('off', []) };
const { data, info } = await sharp(maskPath).greyscale().raw().toBuffer({ resolveWithObject: true });
const cells = new Uint8Array(info.width * info.height);
for (let i = 0; i < cells.length; i++) cells[i] = data[i * info.channels]! >= 128 ? 1 : 0;
const grown = dilate(cells, info.width, info.height, Number(values.margin));
const at = (grid: Uint8Array) => (row: Row) => {
  const x = Math.min(info.width - 1, Math.max(0, Math.round(Number(row.element_peak_x))));
  const y = Math.min(info.height - 1, Math.max(0, Math.round(Number(row.element_peak_y))));
  return row.element_peak_x !== '' && grid[y * info.width + x] === 1;
};
const onOverlay = at(cells);
const nearOverlay = at(grown);
/** Frames at the most frequent peak position, and how many positions there were. */
function stuck(rows: Row[]): { top: number; positions: number } {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(`${row.element_peak_x},${row.element_peak_y}`, (counts.get(`${row.element_peak_x},${row.element_peak_y}`) ?? 0) + 1);
  return { top: Math.max(...counts.values()), positions: counts.size };
}
const share = cells.reduce((a, b) => a + b, 0) / cells.length;
const count = (rows: Row[]) => rows.filter(onOverlay).length;
const near = (rows: Row[]) => rows.filter(nearOverlay).length;
const changed = auto.rows.filter((row, i) => row.element !== off.rows[i]?.element).length;
const floorChanged = auto.rows.filter((row, i) => row.floor !== off.rows[i]?.floor).length;
const pct = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(1)} %`;
console.log(`clip: ${values.clip}, every ${values.every} s, model: ${values.model ?? 'bundled'}`);
console.log(`mask found: ${pct(share, 1)} of the whole picture (${info.width}x${info.height})`);
console.log(`| overlay mask | frames | element peak on the mask | within ${values.margin} px of it | frames at the most frequent peak | peak positions | element label changed vs off | floor label changed vs off |`);
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, rows] of [['off', off.rows], ['auto', auto.rows]] as const) {
  const s = stuck(rows);
  const vsOff = name === 'off' ? '- | -' : `${changed} | ${floorChanged}`;
  console.log(`| ${name} | ${rows.length} | ${pct(count(rows), rows.length)} | ${pct(near(rows), rows.length)} | ${pct(s.top, rows.length)} | ${s.positions} | ${vsOff} |`);
}
