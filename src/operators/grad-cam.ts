import { concatMap, type OperatorFunction } from 'rxjs';
import { localiseSchema, occlusionSchema, type LocaliseOptions, type OcclusionOptions } from '../config/explain.js';
import { UsageError } from '../errors.js';
import { localise } from '../explain/localise.js';
import { occlusionCams } from '../explain/occlusion-cam.js';
import type { ModelSession } from '../model/session.js';
import type { FrameResult } from '../types.js';

export interface GradCamOptions extends Partial<LocaliseOptions>, Partial<OcclusionOptions> {
  /**
   * The model that produced the results. Needed only for the gradient-free fallback (frames whose
   * results carry no CAM maps for the head): it runs the occluded copies.
   */
  model?: ModelSession;
  /** Told once when the fallback is first used, with its cost. Default: stderr. */
  notice?: (line: string) => void;
}

/**
 * Adds `localisation` to each result: the heatmap of the chosen head's class (its predicted class by
 * default) from the CAM maps the model produced, thresholded into boxes, peak and area in source
 * pixels (Frame.region undoes the crop and the resize). When a result has no CAM maps for the head
 * and a model is given, occlusion maps are computed (and kept in `cams`, method 'occlusion').
 * Results that cannot be localised (no maps, fallback 'none' or no model) pass through unchanged.
 * Order is kept; one frame at a time, because the fallback already batches its own passes.
 */
export function gradCam(options: GradCamOptions = {}): OperatorFunction<FrameResult, FrameResult> {
  const { model, notice: noticeOption, ...rest } = options;
  const localiseOptions = localiseSchema.parse(pick(rest, Object.keys(localiseSchema.shape)));
  const occlusion = occlusionSchema.parse(pick(rest, Object.keys(occlusionSchema.shape)));
  if (occlusion.fallback === 'occlusion' && !model) throw new UsageError('the occlusion fallback needs the model: pass `model` to gradCam');
  if (model && !model.card.heads[localiseOptions.head]) {
    throw new UsageError(
      `no head '${localiseOptions.head}' in model ${model.card.name} (heads: ${Object.keys(model.card.heads).join(', ')})`,
    );
  }
  const notice = noticeOption ?? ((line: string) => process.stderr.write(`${line}\n`));
  return (source) => {
    // Per subscription: the notice is said once per run.
    let told = false;
    return source.pipe(
      concatMap(async (result) => {
        const { head } = localiseOptions;
        const prediction = result.heads[head];
        if (!prediction) throw new UsageError(`no head '${head}' in the results (heads: ${Object.keys(result.heads).join(', ')})`);
        let cams = result.cams;
        const useFallback = model && (occlusion.fallback === 'occlusion' || (occlusion.fallback === 'auto' && !cams?.[head]));
        if (useFallback) {
          const run = await occlusionCams(model, result.frame, occlusion.occlusionCells, occlusion.occlusionBatch);
          if (!told) {
            told = true;
            const why = cams?.[head] ? 'heatmaps by occlusion, as asked' : `no CAM output for head '${head}'; using occlusion`;
            notice(`rovlens: ${why} (${run.forwardPasses} forward passes per frame)`);
          }
          cams = { ...cams, ...run.cams };
        }
        const maps = cams?.[head];
        if (!maps) return result;
        const classIndex = chosenClass(localiseOptions.className, prediction.labels, prediction.topIndex, head);
        return { ...result, cams, localisation: localise(maps, head, classIndex, result.frame.region, localiseOptions) };
      }),
    );
  };
}

function chosenClass(className: string, labels: readonly string[], topIndex: number, head: string): number {
  if (className === 'predicted') return topIndex;
  const index = labels.indexOf(className);
  if (index < 0) throw new UsageError(`no class '${className}' in head '${head}' (classes: ${labels.join(', ')}, or 'predicted')`);
  return index;
}

function pick(object: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([k, v]) => keys.includes(k) && v !== undefined));
}
