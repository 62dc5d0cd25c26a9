/**
 * How sure a robustness drop is. The same images are scored clean and perturbed, so the drop is a
 * paired difference; a class of two validation images moves weighted accuracy by 12.5 points on its
 * own, so a single figure cannot tell a 3-point target from noise. A stratified paired bootstrap
 * (resampling images within each true class, the same draw for both conditions) gives an interval,
 * and the share of changed answers says how much the perturbation moved the model at all. Pure.
 */
import { seededRandom } from '../random.js';

export interface DropEstimate {
  /** Clean weighted accuracy minus perturbed, in points (the observed figure). */
  points: number;
  /** Percentile interval of the bootstrap drops, in points (`level` of them lie inside). */
  low: number;
  high: number;
  level: number;
  /** Images whose top class differs between the two conditions, right or wrong. */
  changed: number;
  changedFraction: number;
}

export interface PairedDropOptions {
  resamples?: number;
  level?: number;
  seed?: number;
}

/**
 * Clean weighted accuracy (mean recall over the classes present) minus the perturbed one, in points;
 * `draw(n)` picks which member of a class of n images counts next (n picks per class).
 */
function dropOn(byClass: number[][], cleanRight: Uint8Array, perturbedRight: Uint8Array, draw: (n: number, i: number) => number): number {
  let sum = 0;
  for (const members of byClass) {
    let difference = 0;
    for (let i = 0; i < members.length; i++) {
      const m = members[draw(members.length, i)]!;
      difference += cleanRight[m]! - perturbedRight[m]!;
    }
    sum += difference / members.length;
  }
  return (100 * sum) / byClass.length;
}

export function pairedDrop(
  truth: readonly number[],
  clean: readonly number[],
  perturbed: readonly number[],
  options: PairedDropOptions = {},
): DropEstimate {
  const { resamples = 2000, level = 0.95, seed = 1 } = options;
  if (clean.length !== truth.length || perturbed.length !== truth.length)
    throw new RangeError(`expected ${truth.length} answers per condition, got ${clean.length} and ${perturbed.length}`);
  const classes = [...new Set(truth)].sort((a, b) => a - b);
  const byClass = classes.map((c) => truth.map((t, i) => (t === c ? i : -1)).filter((i) => i >= 0));
  const cleanRight = Uint8Array.from(truth, (t, i) => (clean[i] === t ? 1 : 0));
  const perturbedRight = Uint8Array.from(truth, (t, i) => (perturbed[i] === t ? 1 : 0));
  const changed = clean.filter((c, i) => c !== perturbed[i]).length;
  const changedFraction = truth.length ? changed / truth.length : 0;
  if (!byClass.length) return { points: 0, low: 0, high: 0, level, changed, changedFraction };
  const points = dropOn(byClass, cleanRight, perturbedRight, (_, i) => i); // every image once: the observed drop
  const random = seededRandom(seed);
  const drops = Float64Array.from({ length: resamples }, () =>
    dropOn(byClass, cleanRight, perturbedRight, (n) => Math.floor(random() * n)),
  ).sort();
  const at = (q: number) => drops[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return { points, low: at((1 - level) / 2), high: at((1 + level) / 2), level, changed, changedFraction };
}
