/**
 * Labels from a VIAME CSV, as VIAME writes it and as DIVE exports it after a user corrected it:
 * `track-id, image-or-video id, frame, TL_x, TL_y, BR_x, BR_y, confidence, length, class, score,
 * class, score, ..., (atr) ...`, comment lines starting with `#`, the frame rate in the
 * `# metadata,fps: 29.97` line.
 *
 * Only whole-frame detections carry frame labels (a box covering the frame, or an all-zero box);
 * boxes around objects are left out. Each class names a label of one of the card's heads; per frame
 * and head the highest-scoring class wins. A track is a run of frames the annotator saw as one scene,
 * so its id becomes the group. The video is the file named in column 2, or, as DIVE writes a
 * timestamp there, the video beside the CSV with the same name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { InputError } from '../errors.js';
import { IMAGE_EXTENSIONS } from '../sources/images.js';
import { probeVideo } from '../sources/probe.js';
import type { HeadLabels } from './dataset.js';
import { headOfClass, type LabelRow } from './label-rows.js';

const VIDEO_EXTENSIONS = ['mp4', 'mov', 'mkv', 'avi', 'm4v', 'mts', 'ts', 'mpg', 'mpeg', 'webm'];
/** A box covering at least this share of the frame's width and height is a whole-frame label. */
const WHOLE_FRAME_FRACTION = 0.95;

/** True when the file looks like a VIAME CSV: a `#` comment first, or a numeric track id and frame. */
export function isViameCsv(text: string): boolean {
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '');
  if (!first) return false;
  if (first.startsWith('#')) return true;
  const cells = first.split(',');
  return cells.length >= 9 && /^-?\d+$/.test(cells[0]!.trim()) && /^\d+$/.test(cells[2]!.trim());
}

interface Detection {
  line: number;
  identifier: string;
  track: string;
  frame: number;
  box: [number, number, number, number];
  pairs: { name: string; score: number }[];
}

export async function readViameLabels(csvPath: string, allHeads: HeadLabels): Promise<LabelRow[]> {
  const name = basename(csvPath);
  let rows: string[][];
  try {
    rows = parse(readFileSync(csvPath), { relax_column_count: true, skip_empty_lines: true, bom: true, trim: true });
  } catch (error) {
    throw new InputError(`${name} is not a readable VIAME CSV: ${(error as Error).message.split('\n')[0]}`);
  }
  let fps: number | undefined;
  const detections: Detection[] = [];
  rows.forEach((row, i) => {
    const line = i + 1;
    if (row[0]?.startsWith('#')) {
      if (row[0].trim() === '# metadata') {
        for (const field of row.slice(1)) {
          const m = /^\s*fps\s*:\s*(.+)$/i.exec(field);
          if (m) fps = Number(m[1]!.replace(/"/g, ''));
        }
      }
      return;
    }
    if (row.length < 9) throw new InputError(`${name} line ${line}: ${row.length} columns, a VIAME row has at least 9`);
    const frame = Number(row[2]);
    if (!Number.isInteger(frame) || frame < 0) throw new InputError(`${name} line ${line}: frame '${row[2]}' is not a frame number`);
    const box = row.slice(3, 7).map(Number) as [number, number, number, number];
    if (box.some((v) => !Number.isFinite(v))) throw new InputError(`${name} line ${line}: the box '${row.slice(3, 7).join(',')}' is not four numbers`);
    const pairs: { name: string; score: number }[] = [];
    for (let c = 9; c + 1 < row.length && row[c] && !row[c]!.startsWith('('); c += 2) {
      const score = Number(row[c + 1]);
      if (!Number.isFinite(score)) throw new InputError(`${name} line ${line}: score '${row[c + 1]}' of class '${row[c]}' is not a number`);
      pairs.push({ name: row[c]!, score });
    }
    detections.push({ line, identifier: row[1] ?? '', track: row[0]!, frame, box, pairs });
  });
  if (!detections.length) throw new InputError(`${name}: no detections`);

  // Each row's picture: an image named in column 2, else the video (resolved once).
  const media = new Map<string, { file: string; isVideo: boolean; width: number; height: number }>();
  const mediaOfRow = async (identifier: string) => {
    let found = media.get(identifier);
    if (found) return found;
    const file = mediaOf(csvPath, identifier);
    const isVideo = VIDEO_EXTENSIONS.includes(extname(file).slice(1).toLowerCase());
    if (isVideo) {
      if (!fps || !(fps > 0))
        throw new InputError(`${name}: no frame rate ('# metadata,fps: <n>' line), so its frame numbers cannot be turned into times`);
      const info = await probeVideo(file, { keyframes: false });
      found = { file, isVideo, width: info.width, height: info.height };
    } else {
      const meta = await sharp(file).metadata();
      found = { file, isVideo, width: meta.width ?? 0, height: meta.height ?? 0 };
    }
    media.set(identifier, found);
    return found;
  };

  // Per picture and head: the best-scoring class among the picture's whole-frame detections.
  const byPicture = new Map<
    string,
    { file: string; ptsSeconds?: number; frame: number; labels: Record<string, { label: string; score: number }>; track: string; line: number }
  >();
  for (const d of detections) {
    const m = await mediaOfRow(d.identifier);
    const [x0, y0, x1, y1] = d.box;
    const whole =
      (x0 === 0 && y0 === 0 && x1 === 0 && y1 === 0) ||
      (x1 - x0 >= WHOLE_FRAME_FRACTION * m.width && y1 - y0 >= WHOLE_FRAME_FRACTION * m.height);
    if (!whole) continue;
    const key = `${m.file}\0${d.frame}`;
    const entry = byPicture.get(key) ?? {
      file: m.file,
      ...(m.isVideo ? { ptsSeconds: d.frame / fps! } : {}),
      frame: d.frame,
      labels: {},
      track: d.track,
      line: d.line,
    };
    for (const pair of d.pairs) {
      const head = headOfClass(allHeads, pair.name, `${name} line ${d.line}`);
      if (!entry.labels[head] || pair.score > entry.labels[head]!.score) entry.labels[head] = { label: pair.name, score: pair.score };
    }
    byPicture.set(key, entry);
  }
  if (!byPicture.size) throw new InputError(`${name}: no whole-frame detections (a box covering the frame): nothing to label frames with`);
  return [...byPicture.values()]
    .filter((e) => Object.keys(e.labels).length)
    .sort((a, b) => a.file.localeCompare(b.file) || a.frame - b.frame)
    .map((e) => ({
      file: e.file,
      ...(e.ptsSeconds !== undefined ? { ptsSeconds: e.ptsSeconds } : {}),
      labels: Object.fromEntries(Object.entries(e.labels).map(([h, l]) => [h, l.label])),
      group: `${name}:track-${e.track}`,
      where: `${name} line ${e.line}`,
    }));
}

/** The image or video the CSV labels: column 2 when it names a file, else a video beside the CSV. */
function mediaOf(csvPath: string, identifier: string): string {
  const folder = dirname(csvPath);
  if (identifier) {
    const named = resolve(folder, identifier);
    if (existsSync(named)) {
      const ext = extname(named).slice(1).toLowerCase();
      if (VIDEO_EXTENSIONS.includes(ext) || (IMAGE_EXTENSIONS as readonly string[]).includes(ext)) return named;
    }
  }
  const stem = basename(csvPath).replace(/\.csv$/i, '').replace(/\.viame$/i, '');
  const candidates = VIDEO_EXTENSIONS.map((ext) => resolve(folder, `${stem}.${ext}`));
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new InputError(
      `${basename(csvPath)}: column 2 ('${identifier}') is not a file beside it, and there is no video ${stem}.mp4 (or .mov, .mkv, ...) beside it to take the frames from`,
      'missing',
    );
  return found;
}
