/**
 * A frame's perceptual hash, cached on the frame object: skipping near-duplicates, grouping and
 * training splits all ask for it, and a frame is hashed once per method whichever asks first.
 */
import type { Frame } from '../types.js';
import { perceptualHash, type HashMethod } from './hash.js';

const hashes = new WeakMap<Frame, Map<HashMethod, bigint>>();

/** The frame's perceptual hash, computed once per frame object and method. */
export function frameHash(frame: Frame, method: HashMethod = 'phash'): bigint {
  let byMethod = hashes.get(frame);
  if (!byMethod) hashes.set(frame, (byMethod = new Map()));
  let hash = byMethod.get(method);
  if (hash === undefined) byMethod.set(method, (hash = perceptualHash(method, frame.pixels, frame.width, frame.height)));
  return hash;
}

/** The hash a frame had, for results whose pixels are gone (results read back from a file to be grouped). */
export function rememberFrameHash(frame: Frame, method: HashMethod, hash: bigint): void {
  let byMethod = hashes.get(frame);
  if (!byMethod) hashes.set(frame, (byMethod = new Map()));
  byMethod.set(method, hash);
}
