/**
 * Occlusion maps, the gradient-free fallback for classifiers without a CAM output (pure part).
 * The input is cut into cells x cells patches; each occluded copy has one patch replaced by the
 * image's own mean colour (per channel, so no new edge colour is introduced). A patch's heat is how
 * much the class logit drops when it is hidden: positive where the evidence is. Cost: cells^2
 * forward passes per frame, plus one for the unoccluded baseline.
 */

/** Half-open pixel bounds of patch (row, column) of a cells x cells grid over size pixels. */
export function patchBounds(index: number, cells: number, size: number): [number, number] {
  return [Math.floor((index * size) / cells), Math.floor(((index + 1) * size) / cells)];
}

/**
 * Writes the occluded copies of one CHW image into `out` (copies one after another), for patches
 * `first` .. `first + count - 1` in row-major order.
 */
export function occludedCopies(
  image: Float32Array,
  channels: number,
  height: number,
  width: number,
  cells: number,
  first: number,
  count: number,
  out: Float32Array = new Float32Array(count * image.length),
): Float32Array {
  const plane = height * width;
  const mean = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = 0; i < plane; i++) sum += image[c * plane + i]!;
    mean[c] = sum / plane;
  }
  for (let n = 0; n < count; n++) {
    const patch = first + n;
    const [y0, y1] = patchBounds(Math.floor(patch / cells), cells, height);
    const [x0, x1] = patchBounds(patch % cells, cells, width);
    const base = n * image.length;
    out.set(image, base);
    for (let c = 0; c < channels; c++) {
      for (let y = y0; y < y1; y++) out.fill(mean[c]!, base + c * plane + y * width + x0, base + c * plane + y * width + x1);
    }
  }
  return out;
}

/**
 * Class-major maps [classes, cells, cells] from the baseline logits [classes] and the occluded
 * logits [cells*cells, classes]: heat = baseline - occluded.
 */
export function occlusionMaps(baseline: Float32Array, occluded: Float32Array, classes: number, cells: number): Float32Array {
  const patches = cells * cells;
  if (occluded.length !== patches * classes) throw new RangeError(`expected ${patches * classes} occluded logits, got ${occluded.length}`);
  const maps = new Float32Array(classes * patches);
  for (let p = 0; p < patches; p++) for (let c = 0; c < classes; c++) maps[c * patches + p] = baseline[c]! - occluded[p * classes + c]!;
  return maps;
}
