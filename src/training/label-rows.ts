/**
 * One labelled picture or video frame, whatever file it came from (a review manifest, a VIAME CSV, a
 * COCO file), and the step that turns such rows into the pictures training reads: images as they
 * are, video frames extracted at their times with their crop (src/training/video-frames.ts).
 */
import { basename, dirname, relative, sep } from 'node:path';
import { InputError } from '../errors.js';
import { SKIPPED_LABELS } from '../config/training.js';
import type { RelativeCrop } from '../geometry.js';
import type { HeadLabels, LabelledImage } from './dataset.js';
import { extractVideoFrames, type FrameRequest } from './video-frames.js';

export interface LabelRow {
  /** Absolute path of the image or video. */
  file: string;
  /** A video frame's presentation time; undefined for an image. */
  ptsSeconds?: number;
  /** Head name -> label, only for heads this row answers (already checked against the card). */
  labels: Record<string, string>;
  group?: string;
  /** The crop the picture was classified with; undefined: the model card's. */
  crop?: RelativeCrop;
  /** Where the row is, for reports and errors: `labels.csv row 3`. */
  where: string;
}

const skipped = new Set<string>(SKIPPED_LABELS);

/**
 * The row's label for `head`, checked against the card: undefined for an empty, 'none' or 'unsure'
 * answer; a label the card does not have is one line naming the file, the row and the valid labels.
 */
export function checkedLabel(heads: HeadLabels, head: string, value: string | undefined, where: string): string | undefined {
  const label = (value ?? '').trim();
  if (skipped.has(label)) return undefined;
  const labels = heads[head];
  if (!labels) return undefined;
  if (!labels.includes(label))
    throw new InputError(`${where}: ${head} '${label}' is not a label of the model (labels: ${labels.join(', ')}; or none/unsure to skip)`);
  return label;
}

/** The head whose labels include `name` (a VIAME or COCO class), or a one-line refusal. */
export function headOfClass(allHeads: HeadLabels, name: string, where: string): string {
  const head = Object.keys(allHeads).find((h) => allHeads[h]!.includes(name));
  if (!head) {
    const all = Object.entries(allHeads)
      .map(([h, l]) => `${h}: ${l.join(', ')}`)
      .join('; ');
    throw new InputError(`${where}: class '${name}' is not a label of the model (${all})`);
  }
  return head;
}

/**
 * Pictures for the rows: video frames are extracted (once, cached under `framesDir`) with their crop
 * and then need no further crop; images keep theirs. `source` names the video (or the labels file for
 * images), so reports can say how each recording does.
 */
export async function labelledImagesOf(rows: readonly LabelRow[], labelsFile: string, framesDir: string): Promise<LabelledImage[]> {
  const images: (LabelledImage | undefined)[] = new Array(rows.length);
  const byVideo = new Map<string, number[]>();
  rows.forEach((row, i) => {
    if (row.ptsSeconds === undefined) {
      images[i] = {
        path: row.file,
        id: `${basename(labelsFile)}:${relative(dirname(labelsFile), row.file).split(sep).join('/')}`,
        labels: row.labels,
        source: basename(labelsFile),
        ...(row.group !== undefined ? { group: row.group } : {}),
        ...(row.crop ? { crop: row.crop } : {}),
      };
    } else byVideo.set(row.file, [...(byVideo.get(row.file) ?? []), i]);
  });
  for (const [video, indices] of byVideo) {
    const requests: FrameRequest[] = indices.map((i) => ({
      ptsSeconds: rows[i]!.ptsSeconds!,
      ...(rows[i]!.crop ? { crop: rows[i]!.crop } : {}),
    }));
    const paths = await extractVideoFrames(video, requests, framesDir);
    indices.forEach((rowIndex, j) => {
      const row = rows[rowIndex]!;
      images[rowIndex] = {
        path: paths[j]!,
        id: `${relative(dirname(labelsFile), video).split(sep).join('/')}@${row.ptsSeconds!.toFixed(3)}`,
        labels: row.labels,
        source: basename(video),
        ptsSeconds: row.ptsSeconds!,
        ...(row.group !== undefined ? { group: row.group } : {}),
        // The extracted picture is already the crop the frame was classified with.
        ...(row.crop ? { crop: { widthFraction: 1, heightFraction: 1 } } : {}),
      };
    });
  }
  return images as LabelledImage[];
}
