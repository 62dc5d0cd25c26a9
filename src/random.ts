/**
 * The one seeded generator (mulberry32): splits, augmentation views, training, shuffles and
 * k-means++ seeding are reproducible under `--seed` on every machine and Node version
 * (Math.random cannot be seeded).
 */
export type Random = () => number;

/** Uniform in [0, 1). */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed derived from a string and a number (e.g. image path and view index), stable across runs. */
export function hashSeed(text: string, salt = 0): number {
  let h = (2166136261 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function uniform(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}

/** Fisher-Yates, in place; returns the array. */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
