/**
 * A review made from a timeline run instead of a model run: the JSON lines of `rovlens timeline
 * --format jsonl` read back, with their frames, predictions and near-duplicate groups as the
 * timeline found them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { ReviewFrame, ReviewGroup, ReviewPrediction } from './order.js';

/** What a review is made of, whether a model run or a timeline run made it. */
export interface ReviewInput {
  groups: ReviewGroup[];
  /** Frames over all groups. */
  frames: number;
}

export function isTimelineJsonl(path: string): boolean {
  return /\.jsonl$/i.test(path);
}

interface TimelineRecord {
  source?: unknown;
  ptsSeconds?: unknown;
  heads?: Record<string, { probabilities?: Record<string, number>; label?: string; confidence?: number }>;
  group?: { groupId?: unknown };
}

/**
 * Groups from a `rovlens timeline --format jsonl` file: its frames, predictions and group ids as the
 * timeline found them. A source is looked up as written, then beside the timeline file.
 */
export function readTimelineGroups(path: string, labels: Record<string, readonly string[]>): ReviewInput {
  if (!existsSync(path)) throw new InputError(`${path} does not exist`, 'missing');
  const text = readFileSync(path, 'utf8');
  const byGroup = new Map<string, ReviewFrame[]>();
  const located = new Map<string, string>();
  let frames = 0;
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const bad = (what: string) =>
      new InputError(`${path}: line ${i + 1}: ${what} (expected the JSON lines of rovlens timeline --format jsonl)`);
    let record: TimelineRecord;
    try {
      record = JSON.parse(line) as TimelineRecord;
    } catch {
      throw bad('not JSON');
    }
    // The first line describes the run (`{"rovlensRun": ...}`), not a frame.
    if (i === 0 && 'rovlensRun' in record) return;
    if (typeof record.source !== 'string' || typeof record.ptsSeconds !== 'number') throw bad('no source or ptsSeconds');
    if (!record.group || typeof record.group.groupId !== 'number') throw bad('no group (was the timeline written with grouping on?)');
    let source = located.get(record.source);
    if (!source) {
      const candidates = [resolve(record.source), resolve(dirname(path), record.source)];
      source = candidates.find((c) => existsSync(c));
      if (!source)
        throw new InputError(`${path}: its recording ${record.source} is not found (looked in ${candidates.join(', ')})`, 'missing');
      located.set(record.source, source);
    }
    const predictions: Record<string, ReviewPrediction> = {};
    for (const [head, p] of Object.entries(record.heads ?? {})) {
      if (!labels[head]) continue;
      // The top class from the raw probabilities: the record's label may say 'uncertain'.
      const probabilities = Object.entries(p.probabilities ?? {});
      const top = probabilities.sort((a, b) => b[1] - a[1])[0];
      if (!top) throw bad(`head ${head} has no probabilities`);
      if (!labels[head]!.includes(top[0])) {
        throw new InputError(
          `${path}: line ${i + 1}: ${head} '${top[0]}' is not a label of the model card (${labels[head]!.join(', ')}): was the timeline made with another model? pass it with --model`,
        );
      }
      predictions[head] = { label: top[0], confidence: top[1] };
    }
    const key = String(record.group.groupId);
    const members = byGroup.get(key) ?? [];
    if (!members.length) byGroup.set(key, members);
    members.push({ source, ptsSeconds: Number(record.ptsSeconds.toFixed(3)), predictions });
    frames++;
  });
  if (frames === 0) throw new InputError(`${path} holds no frames`);
  return { groups: [...byGroup.entries()].map(([group, members]) => ({ group, frames: members })), frames };
}
