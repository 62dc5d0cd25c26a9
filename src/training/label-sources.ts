/**
 * Every kind of labelled data `train` and `evaluate` read, one or several at once (`--data a.csv
 * --data b.csv`), so a lab's own labels add to the public ones:
 * - a folder per class, or a manifest CSV of images (`path`, `floor`, `element`, `group`): dataset.ts;
 * - a labels manifest written by `rovlens review` (`source`, `pts_seconds`, ..., `crop`): video frames
 *   are extracted at their times with the crop the timeline classified them with;
 * - a VIAME CSV (as DIVE exports it after correction): whole-frame detections' classes;
 * - a COCO file: images with categories or attributes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { readManifest } from '../review/manifest.js';
import { readCocoLabels } from './coco-labels.js';
import { loadDataset, type Dataset, type HeadLabels, type LabelledImage } from './dataset.js';
import { checkedLabel, labelledImagesOf, type LabelRow } from './label-rows.js';
import { isViameCsv, readViameLabels } from './viame-labels.js';

export interface LabelledData {
  /** The inputs, in the order given. */
  inputs: { path: string; kind: Dataset['kind'] | 'review' | 'viame' | 'coco'; images: number }[];
  images: LabelledImage[];
}

/** The kind of one input, from what it is and what its first line says. */
export function inputKind(path: string): LabelledData['inputs'][number]['kind'] {
  if (statSync(path).isDirectory()) return 'folders';
  const lower = path.toLowerCase();
  if (lower.endsWith('.json')) return 'coco';
  if (!lower.endsWith('.csv')) throw new InputError(`--data must be a folder of class folders, a .csv manifest or a COCO .json, got ${basename(path)}`);
  const head = readFileSync(path, 'utf8').slice(0, 4096);
  if (isViameCsv(head)) return 'viame';
  const header = head.replace(/^\uFEFF/, '').split(/\r?\n/)[0]!.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  if (header.includes('source') && header.includes('pts_seconds')) return 'review';
  return 'manifest';
}

/**
 * Loads and concatenates the inputs. `heads`: the heads to train or score and their labels; `allHeads`:
 * every head of the card (a label of a head not asked for is skipped, not refused). Extracted video
 * frames are cached under `framesDir`.
 */
export async function loadLabelledData(
  inputs: string | readonly string[],
  heads: HeadLabels,
  allHeads: HeadLabels,
  framesDir: string,
): Promise<LabelledData> {
  const list = typeof inputs === 'string' ? [inputs] : [...inputs];
  if (!list.length) throw new InputError('no --data given', 'missing');
  const result: LabelledData = { inputs: [], images: [] };
  for (const input of list) {
    const path = resolve(input);
    if (!existsSync(path)) throw new InputError(`data not found: ${input}`, 'missing');
    const kind = inputKind(path);
    let images: LabelledImage[];
    if (kind === 'folders' || kind === 'manifest') images = loadDataset(path, heads, allHeads).images;
    else {
      const rows =
        kind === 'review'
          ? reviewRows(path, heads, allHeads)
          : kind === 'viame'
            ? await readViameLabels(path, allHeads)
            : readCocoLabels(path, heads, allHeads);
      const wanted = rows
        .map((r) => ({ ...r, labels: Object.fromEntries(Object.entries(r.labels).filter(([h]) => heads[h])) }))
        .filter((r) => Object.keys(r.labels).length);
      if (!wanted.length) throw new InputError(`${basename(path)}: no rows with a ${Object.keys(heads).join(' or ')} label`);
      images = await labelledImagesOf(wanted, path, framesDir);
    }
    result.inputs.push({ path: input, kind, images: images.length });
    result.images.push(...images);
  }
  // Inputs with groups next to inputs without: each ungrouped picture is a group of its own, so a
  // split by group still keeps every recording's near-duplicates on one side.
  if (result.images.some((i) => i.group !== undefined) && result.images.some((i) => i.group === undefined)) {
    result.images = result.images.map((i) => (i.group === undefined ? { ...i, group: `image:${i.path}` } : i));
  }
  return result;
}

/** A review manifest's rows: labels checked against the card, groups kept apart from other files'. */
function reviewRows(path: string, heads: HeadLabels, allHeads: HeadLabels): LabelRow[] {
  const name = basename(path);
  const rows: LabelRow[] = [];
  for (const row of readManifest(path)) {
    const where = `${name} (${basename(row.source)}${row.ptsSeconds === undefined ? '' : ` at ${row.ptsSeconds.toFixed(3)} s`})`;
    const labels: Record<string, string> = {};
    for (const head of Object.keys(allHeads)) {
      const value = head === 'floor' ? row.floor : head === 'element' ? row.element : undefined;
      const label = checkedLabel(allHeads, head, value, where);
      if (label && heads[head]) labels[head] = label;
    }
    if (!Object.keys(labels).length) continue;
    if (!existsSync(row.source)) throw new InputError(`${where}: ${row.ptsSeconds === undefined ? 'image' : 'video'} not found: ${row.source}`, 'missing');
    rows.push({
      file: row.source,
      ...(row.ptsSeconds !== undefined ? { ptsSeconds: row.ptsSeconds } : {}),
      labels,
      group: `${name}:${row.group}`,
      crop: row.crop,
      where,
    });
  }
  return rows;
}

/** Where extracted video frames are kept: beside the embedding cache. */
export const framesDirOf = (cacheDir: string) => join(cacheDir, 'frames');
