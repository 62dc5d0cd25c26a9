/**
 * Runs labelled images (clean, augmented views, or perturbed) through a model in batches and
 * collects the requested outputs, cutting each picture as the video pipeline does (card crop, then
 * resize to the input). Embeddings can be cached on disk, keyed by model, input geometry, image and
 * view, so a second training run with other head options skips the backbone entirely.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelCard } from '../model/card.js';
import { framesToTensor } from '../model/preprocess.js';
import type { ModelSession } from '../model/session.js';
import { relativeCenterCrop, type RelativeCrop } from '../geometry.js';
import { augmentedInput, viewKey, type ViewParameters } from './augment.js';
import { cropAndResize, decodeImage, imageFrame, type RawImage } from './image-input.js';
import type { Perturbation } from './robustness.js';

export interface ModelInputItem {
  path: string;
  id: string;
  /** An augmented view (training) or none (the clean picture). */
  view?: ViewParameters;
  /** A perturbation of the source picture (robustness evaluation). */
  perturbation?: Perturbation;
  /** The crop to cut, when not the card's (a video frame extracted with the crop it was classified with). */
  crop?: RelativeCrop;
}

export interface RunImagesOptions {
  batchSize: number;
  /** Card whose input size and crop apply (may differ from the session's card in input size). */
  card: ModelCard;
  /** Cache folder for single-output runs of the embedding; none disables caching. */
  cacheDir?: string;
  onProgress?: (done: number, total: number) => void;
}

/** Model-sized picture for one item. */
export async function modelInput(source: RawImage, item: ModelInputItem, card: ModelCard): Promise<RawImage> {
  const size = { width: card.input.width, height: card.input.height };
  const picture = item.perturbation ? await item.perturbation.apply(source) : source;
  const crop = item.crop ?? card.crop;
  if (item.view) return augmentedInput(picture, crop, size, item.view);
  return cropAndResize(picture, relativeCenterCrop({ width: picture.width, height: picture.height }, crop), size);
}

function modelKey(modelPath: string, card: ModelCard): string {
  const hash = createHash('sha1').update(readFileSync(modelPath));
  hash.update(JSON.stringify([card.input, card.crop, card.embedding]));
  return hash.digest('hex').slice(0, 16);
}

function itemKey(item: ModelInputItem): string {
  const stat = statSync(item.path);
  return createHash('sha1')
    .update(
      `${item.path}\0${stat.size}\0${stat.mtimeMs}\0${viewKey(item.view)}\0${item.perturbation?.name ?? ''}${item.crop ? `\0${item.crop.widthFraction}x${item.crop.heightFraction}` : ''}`,
    )
    .digest('hex');
}

/**
 * Returns each requested output as one row-major array over all items ([items, ...output dims]).
 */
export async function runImages(
  model: ModelSession,
  items: readonly ModelInputItem[],
  outputs: readonly string[],
  options: RunImagesOptions,
): Promise<Record<string, Float32Array>> {
  const { card, batchSize } = options;
  const useCache = options.cacheDir !== undefined && outputs.length === 1;
  const cacheDir = useCache ? join(options.cacheDir!, modelKey(model.modelPath, card)) : undefined;
  if (cacheDir) mkdirSync(cacheDir, { recursive: true });
  const rows: Record<string, Float32Array[]> = Object.fromEntries(outputs.map((o) => [o, new Array<Float32Array>(items.length)]));
  const pending: number[] = [];
  items.forEach((item, i) => {
    const file = cacheDir ? join(cacheDir, `${itemKey(item)}.f32`) : undefined;
    if (file && existsSync(file)) {
      const bytes = readFileSync(file);
      rows[outputs[0]!]![i] = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    } else pending.push(i);
  });

  // Decoded sources, shared by the views of one image (items of an image are usually adjacent).
  const decoded = new Map<string, Promise<RawImage>>();
  const source = (path: string) => {
    let found = decoded.get(path);
    if (!found) {
      found = decodeImage(path);
      decoded.set(path, found);
      if (decoded.size > 4 * batchSize) decoded.delete(decoded.keys().next().value!);
    }
    return found;
  };
  const prepare = (batch: number[]) =>
    Promise.all(
      batch.map(async (i) => {
        const picture = await modelInput(await source(items[i]!.path), items[i]!, card);
        // Only the pixels feed the model here; the frame shows the whole picture at model size.
        const size = { width: picture.width, height: picture.height };
        return imageFrame(picture, items[i]!.id, i, size, { x: 0, y: 0, ...size });
      }),
    );

  let done = items.length - pending.length;
  options.onProgress?.(done, items.length);
  const batches: number[][] = [];
  for (let b = 0; b < pending.length; b += batchSize) batches.push(pending.slice(b, b + batchSize));
  // Decode and cut the next batch while the model runs on this one.
  let next = batches.length ? prepare(batches[0]!) : undefined;
  for (let b = 0; b < batches.length; b++) {
    const frames = await next!;
    next = b + 1 < batches.length ? prepare(batches[b + 1]!) : undefined;
    next?.catch(() => undefined); // surfaced when awaited
    const { data, dims } = framesToTensor(frames, card);
    const out = await model.run(data, dims, outputs);
    for (const name of outputs) {
      const tensor = out[name]!;
      const size = tensor.data.length / frames.length;
      batches[b]!.forEach((i, n) => {
        const row = tensor.data.slice(n * size, (n + 1) * size);
        rows[name]![i] = row;
        if (cacheDir) writeFileSync(join(cacheDir, `${itemKey(items[i]!)}.f32`), row);
      });
    }
    done += frames.length;
    options.onProgress?.(done, items.length);
  }
  const result: Record<string, Float32Array> = {};
  for (const name of outputs) {
    const list = rows[name]!;
    const size = list[0]?.length ?? 0;
    const all = new Float32Array(size * list.length);
    list.forEach((row, i) => all.set(row, i * size));
    result[name] = all;
  }
  return result;
}
