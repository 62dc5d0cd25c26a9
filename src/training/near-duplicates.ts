/**
 * Near-duplicate groups for datasets that carry none (folder-per-class): every image is hashed
 * (pHash of its model crop, the same hash the pipeline uses) and images within the grouping distance
 * are linked, so a validation split by these groups never puts a near-copy on both sides.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { defaultGrouping } from '../config/grouping.js';
import type { RelativeCrop } from '../geometry.js';
import { frameHash } from '../similarity/frame-hash.js';
import { groupImages } from '../similarity/group-images.js';
import { readImages } from '../sources/images.js';
import type { LabelledImage } from './dataset.js';

/** Hashes at this size: enough detail for pHash's 32x32 grid, cheap to decode and resize. */
const HASH_SIZE = { width: 128, height: 128 };

/** The images with `group` replaced by their near-duplicate group (`near-duplicates:<n>`). */
export async function withNearDuplicateGroups(
  images: readonly LabelledImage[],
  crop: RelativeCrop,
  hashBits: number = defaultGrouping.hashBits,
): Promise<LabelledImage[]> {
  const frames = await lastValueFrom(
    readImages(
      images.map((i) => i.path),
      { crop, outputSize: HASH_SIZE },
    ).pipe(toArray()),
  );
  const ids = groupImages(
    frames.map((frame) => ({ hash: frameHash(frame, defaultGrouping.hash) })),
    { hashBits, minCosine: -1 },
  );
  return images.map((image, i) => ({ ...image, group: `near-duplicates:${ids[i]}` }));
}
