/**
 * Heatmaps asked for besides the element's predicted class: `<head>:<class>` pairs, the class being
 * one of the head's labels or 'predicted'. Shared by `rovlens timeline --cam-also` and the gradCam
 * operator, which checks them against the model card.
 */
import { z } from 'zod';

export interface CamTarget {
  head: string;
  /** A label of the head, or 'predicted' for its top class in each frame. */
  className: string;
}

const pair = /^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$/;

/** "element:waste,floor:reef" -> [{ head: 'element', className: 'waste' }, { head: 'floor', className: 'reef' }] */
export const camTargetsSchema = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()))
  .refine(
    (pairs) => pairs.every((p) => pair.test(p)),
    "give '<head>:<class>' pairs separated by commas, e.g. element:waste,floor:predicted",
  )
  .transform((pairs) =>
    [...new Set(pairs)].map((p): CamTarget => {
      const [head, className] = p.split(':') as [string, string];
      return { head, className };
    }),
  );

/** The key of a target in results: 'element:waste'. */
export const camTargetKey = (t: CamTarget): string => `${t.head}:${t.className}`;
