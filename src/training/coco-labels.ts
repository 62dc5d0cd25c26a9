/**
 * Labels from a COCO file: `images` (file_name relative to the file's folder), `categories` and
 * `annotations`. A picture's label for a head comes from, in this order:
 * - the image's own `attributes` (`{"floor": "sandy", "element": "fauna"}`), or
 * - its annotations: an annotation's `attributes` of the same form, or its category, whose name is a
 *   label of one head (a category's `supercategory` may name the head). Among several annotations
 *   for one head the highest `score` (default 1) wins, then the larger box.
 * An image's `attributes.group` (or `group`) is its near-duplicate group. A file_name
 * `<video>#t=<seconds>` is that video's frame at that time (extracted as training needs it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { HeadLabels } from './dataset.js';
import { checkedLabel, headOfClass, type LabelRow } from './label-rows.js';

interface CocoImage {
  id: number | string;
  file_name: string;
  group?: string | number;
  attributes?: Record<string, unknown>;
}
interface CocoCategory {
  id: number | string;
  name: string;
  supercategory?: string;
}
interface CocoAnnotation {
  image_id: number | string;
  category_id?: number | string;
  bbox?: number[];
  score?: number;
  attributes?: Record<string, unknown>;
}

export function isCocoJson(value: unknown): value is { images: CocoImage[]; categories?: CocoCategory[]; annotations?: CocoAnnotation[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { images?: unknown }).images);
}

export function readCocoLabels(jsonPath: string, heads: HeadLabels, allHeads: HeadLabels): LabelRow[] {
  const name = basename(jsonPath);
  let coco: unknown;
  try {
    coco = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (error) {
    throw new InputError(`${name} is not readable JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isCocoJson(coco)) throw new InputError(`${name}: not a COCO file (no 'images' list)`);
  const folder = dirname(jsonPath);
  const categories = new Map((coco.categories ?? []).map((c) => [String(c.id), c]));
  const best = new Map<string, Record<string, { label: string; score: number; area: number }>>();
  const offer = (imageId: string, head: string, label: string, score: number, area: number) => {
    const labels = best.get(imageId) ?? {};
    const held = labels[head];
    if (!held || score > held.score || (score === held.score && area > held.area)) labels[head] = { label, score, area };
    best.set(imageId, labels);
  };
  (coco.annotations ?? []).forEach((a, i) => {
    const where = `${name} annotation ${i + 1}`;
    const imageId = String(a.image_id);
    const score = typeof a.score === 'number' ? a.score : 1;
    const area = a.bbox && a.bbox.length >= 4 ? a.bbox[2]! * a.bbox[3]! : Infinity;
    for (const head of Object.keys(allHeads)) {
      const value = a.attributes?.[head];
      if (typeof value !== 'string') continue;
      const label = checkedLabel(allHeads, head, value, where);
      if (label && heads[head]) offer(imageId, head, label, score, area);
    }
    if (a.category_id === undefined) return;
    const category = categories.get(String(a.category_id));
    if (!category) throw new InputError(`${where}: category_id ${a.category_id} is not in 'categories'`);
    const head =
      category.supercategory && allHeads[category.supercategory]
        ? category.supercategory
        : headOfClass(allHeads, category.name, `${where} (category '${category.name}')`);
    const label = checkedLabel(allHeads, head, category.name, `${where} (category '${category.name}')`);
    if (label && heads[head]) offer(imageId, head, label, score, area);
  });

  const rows: LabelRow[] = [];
  coco.images.forEach((image, i) => {
    const where = `${name} image ${i + 1}`;
    const labels: Record<string, string> = Object.fromEntries(
      Object.entries(best.get(String(image.id)) ?? {}).map(([head, l]) => [head, l.label]),
    );
    for (const head of Object.keys(heads)) {
      const value = image.attributes?.[head];
      if (typeof value !== 'string') continue;
      const label = checkedLabel(allHeads, head, value, where);
      if (label) labels[head] = label;
      else delete labels[head];
    }
    if (!Object.keys(labels).length) return;
    if (typeof image.file_name !== 'string') throw new InputError(`${where}: no file_name`);
    // `<video>#t=<seconds>` (a media fragment, as rovlens export writes frames it did not extract).
    const fragment = /^(.*)#t=(\d+(?:\.\d+)?)$/.exec(image.file_name);
    const file = resolve(folder, fragment ? fragment[1]! : image.file_name);
    if (!existsSync(file)) throw new InputError(`${where}: ${fragment ? 'video' : 'image'} not found: ${image.file_name}`, 'missing');
    const group = image.attributes?.group ?? image.group;
    rows.push({
      file,
      ...(fragment ? { ptsSeconds: Number(fragment[2]) } : {}),
      labels,
      ...(group !== undefined ? { group: `${name}:${String(group)}` } : {}),
      where,
    });
  });
  if (!rows.length) throw new InputError(`${name}: no image with a ${Object.keys(heads).join(' or ')} label`);
  return rows;
}
