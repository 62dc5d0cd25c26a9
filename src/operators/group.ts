/**
 * Consecutive near-duplicate grouping of results: assigns `group` (groupId, duplicateOf, reused,
 * hash) with the ConsecutiveGrouper state machine (hash distance + embedding cosine against the
 * group's latest members, with hysteresis). A frame that opens a group has no `duplicateOf`; a
 * later member points at the group's first frame, except a frame whose result was reused by
 * skipDuplicates, which keeps pointing at the frame it copied.
 *
 * With hysteresis (`confirmFrames` > 1) a frame that does not match is held until the next ones
 * decide, so results leave up to `confirmFrames - 1` frames late; order is kept. A new source
 * (sourceId) always opens a new group. State is per subscription.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { defaultGrouping, type GroupingOptions } from '../config/grouping.js';
import { ConsecutiveGrouper, type GroupAssignment } from '../similarity/consecutive-grouper.js';
import { hashToHex } from '../similarity/hash.js';
import type { FrameResult } from '../types.js';
import { frameHash } from '../similarity/frame-hash.js';

export interface GroupStats {
  frames: number;
  groups: number;
  /** Frames that broke a group for less than `confirmFrames` and were kept in it. */
  noise: number;
}

export interface GroupFramesOptions extends Partial<GroupingOptions> {
  /** Compare embeddings as well as hashes when results carry them (default true). */
  useEmbeddings?: boolean;
  stats?: GroupStats;
}

export function groupFrames(options: GroupFramesOptions = {}): OperatorFunction<FrameResult, FrameResult> {
  const thresholds = { ...defaultGrouping, ...options };
  const useEmbeddings = options.useEmbeddings ?? true;
  return (source) =>
    new Observable<FrameResult>((subscriber) => {
      const stats = options.stats;
      let grouper = new ConsecutiveGrouper<FrameResult>(thresholds);
      let nextGroupId = 0;
      let sourceId: string | undefined;

      const emit = (assignments: GroupAssignment<FrameResult>[]) => {
        for (const a of assignments) {
          const before = a.item.group;
          nextGroupId = Math.max(nextGroupId, a.groupId + 1);
          if (stats) {
            stats.frames++;
            if (a.opened) stats.groups++;
            if (a.noise) stats.noise++;
          }
          const duplicateOf = before?.reused ? before.duplicateOf : a.opened ? undefined : a.first.frame.index;
          subscriber.next({
            ...a.item,
            group: {
              groupId: a.groupId,
              ...(duplicateOf !== undefined ? { duplicateOf } : {}),
              reused: before?.reused ?? false,
              hash: hashToHex(hashOf(a.item, thresholds.hash)),
            },
          });
        }
      };

      const subscription = source.subscribe({
        next: (result) => {
          if (sourceId !== undefined && result.frame.sourceId !== sourceId) {
            emit(grouper.flush());
            grouper = new ConsecutiveGrouper<FrameResult>(thresholds, nextGroupId);
          }
          sourceId = result.frame.sourceId;
          emit(
            grouper.push({
              hash: hashOf(result, thresholds.hash),
              ...(useEmbeddings && result.embedding ? { embedding: result.embedding } : {}),
              item: result,
            }),
          );
        },
        error: (error) => {
          emit(grouper.flush());
          subscriber.error(error);
        },
        complete: () => {
          emit(grouper.flush());
          subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
}

/** Cached per frame object, so a frame skipDuplicates already hashed is not hashed again. */
function hashOf(result: FrameResult, method: GroupingOptions['hash']): bigint {
  return frameHash(result.frame, method);
}
