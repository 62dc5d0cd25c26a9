import { concatMap, type OperatorFunction } from 'rxjs';
import { camTargetKey, type CamTarget } from '../config/cam-targets.js';
import { camFallbackSchema, localiseSchema, type CamFallbackOptions, type LocaliseOptions } from '../config/explain.js';
import { UsageError } from '../errors.js';
import { localise } from '../explain/localise.js';
import { occlusionCams } from '../explain/occlusion-cam.js';
import { scoreCams } from '../explain/score-cam.js';
import type { ModelCard } from '../model/card.js';
import type { ModelSession } from '../model/session.js';
import type { FrameResult, HeadPrediction } from '../types.js';

export interface GradCamOptions extends Partial<LocaliseOptions>, Partial<CamFallbackOptions> {
  /**
   * The model that produced the results. Needed only for the gradient-free fallbacks (frames whose
   * results carry no CAM maps for the head): it runs the masked or occluded copies.
   */
  model?: ModelSession;
  /**
   * More heatmaps to localise in each frame besides the main one, with the same threshold and box
   * options: into `extraLocalisations`, keyed '<head>:<class>'.
   */
  also?: readonly CamTarget[];
  /** Told once when the fallback is first used, with its cost. Default: stderr. */
  notice?: (line: string) => void;
}

/**
 * Adds `localisation` to each result: the heatmap of the chosen head's class (its predicted class by
 * default) from the CAM maps the model produced, thresholded into boxes, peak and area in source
 * pixels (Frame.region undoes the crop and the resize). When a result has no CAM maps for the head
 * and a model is given, gradient-free maps are computed and kept in `cams`: Score-CAM when the card
 * names the head's pooled feature map (`features`), else occlusion (method 'score-cam' or
 * 'occlusion'). The heatmaps asked for with `also` go the same way into `extraLocalisations`.
 * Results that cannot be localised (no maps, fallback 'none' or no model) pass through unchanged.
 * Order is kept; one frame at a time, because the fallback already batches its own passes.
 */
export function gradCam(options: GradCamOptions = {}): OperatorFunction<FrameResult, FrameResult> {
  const { model, notice: noticeOption, also = [], ...rest } = options;
  const localiseOptions = localiseSchema.parse(pick(rest, Object.keys(localiseSchema.shape)));
  const fallback = camFallbackSchema.parse(pick(rest, Object.keys(camFallbackSchema.shape)));
  const forced = fallback.fallback === 'score-cam' || fallback.fallback === 'occlusion';
  if (forced && !model) throw new UsageError(`the ${fallback.fallback} fallback needs the model: pass \`model\` to gradCam`);
  const main: CamTarget = { head: localiseOptions.head, className: localiseOptions.className };
  if (model) checkCamTargets(model.card, [main, ...also]);
  const headSpec = model?.card.heads[localiseOptions.head];
  if (fallback.fallback === 'score-cam' && !headSpec?.features) {
    throw new UsageError(
      `Score-CAM needs the feature map that head '${localiseOptions.head}' pools; none was found in model ${model!.card.name} (use --fallback occlusion)`,
    );
  }
  // The gradient-free method for results without the head's CAM maps.
  const method = fallback.fallback === 'occlusion' || (fallback.fallback === 'auto' && !headSpec?.features) ? 'occlusion' : 'score-cam';
  const notice = noticeOption ?? ((line: string) => process.stderr.write(`${line}\n`));
  return (source) => {
    // Per subscription: the notice is said once per run.
    let told = false;
    return source.pipe(
      concatMap(async (result) => {
        const predictionOf = (name: string): HeadPrediction => {
          const prediction = result.heads[name];
          if (!prediction) throw new UsageError(`no head '${name}' in the results (heads: ${Object.keys(result.heads).join(', ')})`);
          return prediction;
        };
        const targets = [main, ...also];
        targets.forEach((t) => predictionOf(t.head));
        let cams = result.cams;
        // The fallbacks make maps for every head at once: one run covers every target.
        const uncovered = targets.find((t) => !cams?.[t.head])?.head;
        const useFallback = model && (forced || (fallback.fallback === 'auto' && uncovered !== undefined));
        if (useFallback) {
          const run =
            method === 'score-cam'
              ? await scoreCams(model, result.frame, fallback.scoreCamChannels, fallback.fallbackBatch)
              : await occlusionCams(model, result.frame, fallback.occlusionCells, fallback.fallbackBatch);
          if (!told) {
            told = true;
            const why = forced ? `heatmaps by ${method}, as asked` : `no CAM output for head '${uncovered}'; using ${method}`;
            notice(`rovlens: ${why} (${run.forwardPasses} forward passes per frame)`);
          }
          cams = { ...cams, ...run.cams };
        }
        const localiseTarget = (t: CamTarget) => {
          const maps = cams?.[t.head];
          if (!maps) return undefined;
          const prediction = predictionOf(t.head);
          const classIndex = chosenClass(t.className, prediction.labels, prediction.topIndex, t.head);
          return localise(maps, { head: t.head, classIndex, label: prediction.labels[classIndex]! }, result.frame.region, localiseOptions);
        };
        const localisation = localiseTarget(main);
        const extra = also.flatMap((t) => {
          const l = localiseTarget(t);
          return l ? [[camTargetKey(t), l] as const] : [];
        });
        if (!localisation && !extra.length) return result;
        return {
          ...result,
          cams,
          ...(localisation ? { localisation } : {}),
          ...(extra.length ? { extraLocalisations: Object.fromEntries(extra) } : {}),
        };
      }),
    );
  };
}

/** Each target's head is in the card and its class is one of the head's labels or 'predicted'. */
export function checkCamTargets(card: ModelCard, targets: readonly CamTarget[]): void {
  for (const { head, className } of targets) {
    const spec = card.heads[head];
    if (!spec) throw new UsageError(`no head '${head}' in model ${card.name} (heads: ${Object.keys(card.heads).join(', ')})`);
    chosenClass(className, spec.labels, 0, head);
  }
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
