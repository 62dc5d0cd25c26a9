/**
 * Pairwise precision and recall of a grouping against the truth: over all pairs of items,
 * precision = pairs grouped together that belong together / pairs grouped together,
 * recall = pairs grouped together that belong together / pairs that belong together.
 * Computed from the contingency table, O(n), not by enumerating pairs.
 */
export interface PairwiseScores {
  precision: number;
  recall: number;
  f1: number;
  predictedGroups: number;
  truthGroups: number;
  truePairs: number;
  predictedPairs: number;
  truthPairs: number;
}

const pairs = (count: number) => (count * (count - 1)) / 2;

function countBy(keys: Iterable<number | string>): Map<number | string, number> {
  const m = new Map<number | string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

export function pairwiseScores(predicted: ArrayLike<number>, truth: ArrayLike<number | string>): PairwiseScores {
  if (predicted.length !== truth.length) throw new RangeError(`${predicted.length} predicted labels for ${truth.length} truth labels`);
  const both = countBy(Array.from(predicted, (p, i) => `${p}\u0000${truth[i]}`));
  const byPredicted = countBy(Array.from(predicted));
  const byTruth = countBy(Array.from(truth));
  let truePairs = 0;
  for (const c of both.values()) truePairs += pairs(c);
  let predictedPairs = 0;
  for (const c of byPredicted.values()) predictedPairs += pairs(c);
  let truthPairs = 0;
  for (const c of byTruth.values()) truthPairs += pairs(c);
  // With no pairs to get wrong, the score is perfect by convention.
  const precision = predictedPairs ? truePairs / predictedPairs : 1;
  const recall = truthPairs ? truePairs / truthPairs : 1;
  return {
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    predictedGroups: byPredicted.size,
    truthGroups: byTruth.size,
    truePairs,
    predictedPairs,
    truthPairs,
  };
}
