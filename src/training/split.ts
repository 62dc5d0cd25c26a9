/**
 * Train/validation splits, seeded. By near-duplicate group when groups are known (consecutive
 * frames never straddle the split, so validation measures recognition, not memory), otherwise
 * stratified per class. Pure: indices in, indices out.
 */
import { seededRandom, shuffle } from '../random.js';

export interface Split {
  train: number[];
  validation: number[];
}

/**
 * Stratified: within each class, `validationFraction` of the items (rounded, at least one when the
 * class has two or more) go to validation.
 */
export function stratifiedSplit(labels: readonly number[], validationFraction: number, seed: number): Split {
  const random = seededRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => byClass.set(label, [...(byClass.get(label) ?? []), i]));
  const train: number[] = [];
  const validation: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const items = shuffle(byClass.get(label)!, random);
    const take = items.length < 2 ? 0 : Math.max(1, Math.round(items.length * validationFraction));
    validation.push(...items.slice(0, take));
    train.push(...items.slice(take));
  }
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}

/**
 * By group, stratified by each group's majority class: whole groups are assigned, class by class,
 * until about `validationFraction` of that class's items are in validation. A class whose items
 * all sit in one group stays in training (it cannot be validated without leaking).
 */
export function groupSplit(labels: readonly number[], groups: readonly string[], validationFraction: number, seed: number): Split {
  if (labels.length !== groups.length) throw new Error(`groupSplit: ${labels.length} labels but ${groups.length} groups`);
  const random = seededRandom(seed);
  const members = new Map<string, number[]>();
  groups.forEach((group, i) => members.set(group, [...(members.get(group) ?? []), i]));
  const majority = (items: number[]): number => {
    const counts = new Map<number, number>();
    for (const i of items) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  };
  const groupsByClass = new Map<number, string[]>();
  for (const name of [...members.keys()].sort()) {
    const label = majority(members.get(name)!);
    groupsByClass.set(label, [...(groupsByClass.get(label) ?? []), name]);
  }
  const inValidation = new Set<string>();
  for (const label of [...groupsByClass.keys()].sort((a, b) => a - b)) {
    const names = shuffle(groupsByClass.get(label)!, random);
    if (names.length < 2) continue;
    const total = names.reduce((n, g) => n + members.get(g)!.length, 0);
    let taken = 0;
    // The last group of a class always stays in training.
    for (const name of names.slice(0, -1)) {
      if (taken >= total * validationFraction) break;
      inValidation.add(name);
      taken += members.get(name)!.length;
    }
  }
  const train: number[] = [];
  const validation: number[] = [];
  groups.forEach((group, i) => (inValidation.has(group) ? validation : train).push(i));
  return { train, validation };
}
