/**
 * Labelled images for training and evaluation, from either
 * - a manifest CSV (columns `path`, `floor`, `element`, optional `group`; paths relative to the CSV;
 *   the source is the folder under `images/`, as in `images/<source>/<file>.jpg`), or
 * - a folder per class (`<root>/<class>/*.jpg`): the folder name is a label of one of the heads.
 * Labels 'none', 'unsure' and empty mean "no answer for this head": the image is skipped for it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import fg from 'fast-glob';
import { InputError } from '../errors.js';
import { SKIPPED_LABELS } from '../config/training.js';
import type { RelativeCrop } from '../geometry.js';

export interface LabelledImage {
  /** Absolute path. */
  path: string;
  /** Path relative to the dataset root: a stable id for caches and reports. */
  id: string;
  /** Head name -> label, only for heads this image answers. */
  labels: Record<string, string>;
  group?: string;
  source?: string;
  /** The relative centre crop to classify it with, when not the model card's (a labelled video frame's). */
  crop?: RelativeCrop;
  /** For a frame taken from a video: its presentation time. */
  ptsSeconds?: number;
}

export interface Dataset {
  kind: 'manifest' | 'folders';
  root: string;
  images: LabelledImage[];
}

export type HeadLabels = Record<string, readonly string[]>;

const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'tif', 'tiff', 'bmp'];
const skipped = new Set<string>(SKIPPED_LABELS);

/**
 * `heads` maps each head to train or evaluate to its labels (from the model card); `allHeads` has
 * every head of the model, so that class folders of a head not asked for are skipped, not refused.
 */
export function loadDataset(input: string, heads: HeadLabels, allHeads: HeadLabels = heads): Dataset {
  const abs = resolve(input);
  if (!existsSync(abs)) throw new InputError(`data not found: ${input}`, 'missing');
  if (statSync(abs).isDirectory()) return loadFolders(abs, heads, allHeads);
  if (abs.toLowerCase().endsWith('.csv')) return loadManifest(abs, heads);
  throw new InputError(`--data must be a folder of class folders or a manifest .csv, got ${basename(input)}`);
}

function loadManifest(csvPath: string, heads: HeadLabels): Dataset {
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(csvPath), { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new InputError(`${basename(csvPath)} is not a readable CSV: ${(error as Error).message.split('\n')[0]}`);
  }
  const root = dirname(csvPath);
  const headNames = Object.keys(heads);
  const columns = rows.length ? Object.keys(rows[0]!) : [];
  for (const wanted of ['path', ...headNames]) {
    if (!columns.includes(wanted))
      throw new InputError(`${basename(csvPath)}: no '${wanted}' column (columns: ${columns.join(', ') || 'none'})`);
  }
  const images: LabelledImage[] = [];
  rows.forEach((row, i) => {
    const labels: Record<string, string> = {};
    for (const head of headNames) {
      const value = row[head] ?? '';
      if (skipped.has(value)) continue;
      if (!heads[head]!.includes(value)) {
        throw new InputError(
          `${basename(csvPath)} row ${i + 2}: ${head} '${value}' is not a label of the model (labels: ${heads[head]!.join(', ')}; or none/unsure to skip)`,
        );
      }
      labels[head] = value;
    }
    if (!Object.keys(labels).length) return;
    const path = resolve(root, row.path!);
    if (!existsSync(path)) throw new InputError(`${basename(csvPath)} row ${i + 2}: image not found: ${row.path}`, 'missing');
    const parts = row.path!.split(/[\\/]/);
    const source = parts[0] === 'images' && parts.length > 2 ? parts[1] : undefined;
    images.push({ path, id: row.path!, labels, ...(row.group ? { group: row.group } : {}), ...(source ? { source } : {}) });
  });
  if (!images.length) throw new InputError(`${basename(csvPath)}: no rows with a ${headNames.join(' or ')} label`);
  return { kind: 'manifest', root, images };
}

function loadFolders(root: string, heads: HeadLabels, allHeads: HeadLabels): Dataset {
  const files = fg.sync(`*/*.{${IMAGE_EXTENSIONS.join(',')}}`, { cwd: root, caseSensitiveMatch: false, onlyFiles: true }).sort();
  if (!files.length) throw new InputError(`no images in ${root}: expected <root>/<class>/*.jpg`, 'missing');
  const images: LabelledImage[] = [];
  for (const file of files) {
    const label = file.split('/')[0]!;
    if (skipped.has(label)) continue;
    const head = Object.keys(heads).find((h) => heads[h]!.includes(label));
    if (!head && Object.values(allHeads).some((labels) => labels.includes(label))) continue;
    if (!head) {
      const all = Object.entries(heads)
        .map(([h, l]) => `${h}: ${l.join(', ')}`)
        .join('; ');
      throw new InputError(`class folder '${label}' is not a label of the model (${all})`);
    }
    images.push({ path: resolve(root, file), id: relative(root, resolve(root, file)).split(sep).join('/'), labels: { [head]: label } });
  }
  if (!images.length)
    throw new InputError(`no images in ${root} for ${Object.keys(heads).join(' or ')}: no class folder is one of its labels`);
  return { kind: 'folders', root, images };
}

/** Counts per head, label and source, for cards and reports. */
export function labelCounts(images: readonly LabelledImage[], head: string): { label: string; source: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const image of images) {
    const label = image.labels[head];
    if (label === undefined) continue;
    const key = `${label}\u0000${image.source ?? '-'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([key, count]) => {
      const [label, source] = key.split('\u0000') as [string, string];
      return { label, source, count };
    })
    .sort((a, b) => a.label.localeCompare(b.label) || b.count - a.count);
}
