/**
 * The timeline pipeline: a recorded mission to one result per sampled instant.
 *
 *   decode (ffmpeg: sample + crop + resize pushed into its filter graph)
 *     -> mask overlays (burned-in text and graphics filled from their surroundings; --overlay-mask)
 *     -> skip near-duplicates (reuse the last result when the frame repeats it)
 *        -> infer (both heads, embedding, CAM maps; batched)
 *     -> Grad-CAM (element heatmap, and any asked for, -> boxes, peak, area in source pixels)
 *     -> group (consecutive near-duplicate groups)
 *     -> nav join (with a navigation log: where the vehicle was at each frame's instant)
 *     -> sinks (timeline CSV / JSON lines, segments), attached by the runner (src/runners/timeline.ts)
 *
 * Copy this file to change the stages; run yours with `rovlens timeline --pipeline my-pipeline.js`:
 * it keeps the runner's sinks. A module may also export `timelineSink(ctx)`, an operator the runner
 * attaches after its own sinks (e.g. one more output).
 */
import type { Observable } from 'rxjs';
import type { RelativeCrop } from '../src/geometry.js';
import type { ModelSession } from '../src/model/session.js';
import { cropResize } from '../src/operators/crop-resize.js';
import { gradCam, type GradCamOptions } from '../src/operators/grad-cam.js';
import { groupFrames } from '../src/operators/group.js';
import { infer, type InferOptions } from '../src/operators/infer.js';
import { joinNav, type JoinNavOptions } from '../src/operators/join-nav.js';
import { maskOverlays } from '../src/operators/mask-overlays.js';
import type { OverlayMasker } from '../src/overlay/masker.js';
import { skipDuplicates } from '../src/operators/skip-duplicates.js';
import { sampleEvery } from '../src/operators/sample.js';
import { decodeVideo, type DecodeOptions, type DecodeStats } from '../src/sources/ffmpeg.js';
import type { FlowControl } from '../src/sources/flow-control.js';
import type { VideoInfo } from '../src/sources/probe.js';
import type { NavLog } from '../src/telemetry/nav-log.js';
import type { FrameResult } from '../src/types.js';

/** What each stage needs from the run's options, and nothing more: the runner fills it from the flags. */
export interface TimelineStages {
  decode: Pick<DecodeOptions, 'everySeconds' | 'keyframesOnly' | 'startSeconds' | 'endSeconds' | 'hwaccel' | 'truncation'> & {
    /** Sample, crop and resize inside ffmpeg (else in the RxJS operators). */
    pushdown: boolean;
    /** The relative centre crop; default: the model card's. */
    crop?: RelativeCrop;
  };
  /** Near-duplicates of the last inferred frame reuse its result. */
  skipDuplicates: { enabled: boolean };
  infer: InferOptions;
  gradCam: Omit<GradCamOptions, 'model' | 'notice'>;
}

export interface TimelineContext {
  input: string;
  info: VideoInfo;
  model: ModelSession;
  stages: TimelineStages;
  /** Pauses decoding while frames are in flight; the runner releases them as rows are written. */
  flow: FlowControl;
  /** With `--nav`: the navigation log and this input's start on its clock. */
  nav?: JoinNavOptions & { log: NavLog };
  /** This recording's overlay masker (--overlay-mask auto or a mask picture); none with off. */
  overlay?: OverlayMasker;
  onDecodeEnd: (stats: DecodeStats) => void;
  /** Called when ffmpeg is running: the runner creates the model's session then, while it decodes. */
  onDecodeStart?: () => void;
}

export function timelinePipeline(ctx: TimelineContext): Observable<FrameResult> {
  const { input, info, model, stages, flow } = ctx;
  const card = model.card;
  const crop = stages.decode.crop ?? card.crop;
  const size = { width: card.input.width, height: card.input.height };
  const { pushdown, crop: _crop, everySeconds = 0, ...window } = stages.decode;
  const decode = { info, ...window, flow, onStart: ctx.onDecodeStart, onEnd: ctx.onDecodeEnd };
  const frames = pushdown
    ? decodeVideo(input, { ...decode, everySeconds, crop, outputSize: size })
    : decodeVideo(input, decode).pipe(sampleEvery(everySeconds, { onDrop: () => flow.done() }), cropResize(crop, size));
  return frames.pipe(
    ctx.overlay ? maskOverlays(ctx.overlay) : (same) => same,
    skipDuplicates(stages.skipDuplicates, infer(model, stages.infer)),
    gradCam({ model, ...stages.gradCam }),
    groupFrames(),
    ctx.nav ? joinNav(ctx.nav.log, ctx.nav) : (results) => results,
  );
}
