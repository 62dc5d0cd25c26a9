/** Which of the card's heads a task covers, and the checks that the card can be trained. */
import { ModelError } from '../errors.js';
import type { Task } from '../config/training.js';
import type { ModelCard } from '../model/card.js';

export function headsForTask(card: ModelCard, task: Task): string[] {
  const wanted = task === 'both' ? ['floor', 'element'] : [task];
  const missing = wanted.filter((h) => !card.heads[h]);
  if (missing.length)
    throw new ModelError(`model card field 'heads': no '${missing.join("', '")}' head (heads: ${Object.keys(card.heads).join(', ')})`);
  return wanted;
}

export function headLabels(card: ModelCard, heads: readonly string[]): Record<string, readonly string[]> {
  return Object.fromEntries(heads.map((h) => [h, card.heads[h]!.labels]));
}
