/**
 * The annotate pipeline: whole frames (the picture to draw on) to results paired with their frame.
 *
 *   frames (whole, as decoded or read)
 *     -> relative centre crop + resize to the model's input (the whole frame waits beside it)
 *     -> infer (batched)
 *     -> Grad-CAM (the chosen head and class -> heatmap, boxes, peak, area in source pixels)
 *     -> nav join (with a navigation log)
 *     -> sinks (drawn pictures: a video, a folder of JPEGs, a contact sheet), attached by the runner
 */
import { concatMap, defer, map, type Observable } from 'rxjs';
import type { RelativeCrop } from '../src/geometry.js';
import type { ModelSession } from '../src/model/session.js';
import { cropResizeFrame } from '../src/operators/crop-resize.js';
import { gradCam, type GradCamOptions } from '../src/operators/grad-cam.js';
import { infer, type InferOptions } from '../src/operators/infer.js';
import { joinNav, type JoinNavOptions } from '../src/operators/join-nav.js';
import { maskOverlays } from '../src/operators/mask-overlays.js';
import type { OverlayMasker } from '../src/overlay/masker.js';
import type { NavLog } from '../src/telemetry/nav-log.js';
import type { Frame, FrameResult } from '../src/types.js';

/** What each stage needs, and nothing more: the runner fills it from the flags. */
export interface AnnotateStages {
  /** The relative centre crop; default: the model card's. */
  crop?: RelativeCrop;
  infer: InferOptions;
  /** Off: no heatmap, boxes or peak (the model card says they point no better than the centre). */
  gradCam: Omit<GradCamOptions, 'model' | 'notice'> | false;
}

export interface AnnotateContext {
  frames: Observable<Frame>;
  model: ModelSession;
  stages: AnnotateStages;
  /** With `--nav`: the navigation log and this input's start on its clock. */
  nav?: JoinNavOptions & { log: NavLog };
  /** The recording's overlay masker (--overlay-mask auto or a mask picture); none with off. */
  overlay?: OverlayMasker;
}

/** A result and the whole frame it was made from. */
export interface AnnotatedResult {
  result: FrameResult;
  full: Frame;
}

export function annotatePipeline(ctx: AnnotateContext): Observable<AnnotatedResult> {
  const { model, stages } = ctx;
  const crop = stages.crop ?? model.card.crop;
  const size = { width: model.card.input.width, height: model.card.input.height };
  const key = (f: Frame) => `${f.sourceId}\u0000${f.index}`;
  return defer(() => {
    // Whole frames wait here while their model-sized copies go through inference (one map per run).
    const wholeFrames = new Map<string, Frame>();
    return ctx.frames.pipe(
      concatMap(async (full) => {
        wholeFrames.set(key(full), full);
        return cropResizeFrame(full, crop, size);
      }),
      ctx.overlay ? maskOverlays(ctx.overlay) : (same) => same,
      infer(model, stages.infer),
      stages.gradCam ? gradCam({ model, ...stages.gradCam }) : (same) => same,
      ctx.nav ? joinNav(ctx.nav.log, ctx.nav) : (results) => results,
      map((result) => {
        const full = wholeFrames.get(key(result.frame)) ?? result.frame;
        wholeFrames.delete(key(result.frame));
        return { result, full };
      }),
    );
  });
}
