/**
 * The timeline pipeline: a recorded mission to one result per sampled instant.
 *
 *   decode (ffmpeg: sample + crop + resize pushed into its filter graph)
 *     -> skip near-duplicates (reuse the last result when the frame repeats it)
 *        -> infer (both heads, embedding, CAM maps; batched)
 *     -> Grad-CAM (element heatmap, and any asked for, -> boxes, peak, area in source pixels)
 *     -> group (consecutive near-duplicate groups)
 *     -> nav join (with a navigation log: where the vehicle was at each frame's instant)
 *     -> sinks (timeline CSV / JSON lines, segments), attached by the command
 *
 * Copy this file to change the stages; run yours with `rovlens timeline --pipeline my-pipeline.js`.
 */
import type { Observable } from 'rxjs';
import type { TimelineOptions } from '../src/config/timeline.js';
import type { ModelSession } from '../src/model/session.js';
import { cropResize } from '../src/operators/crop-resize.js';
import { gradCam } from '../src/operators/grad-cam.js';
import { groupFrames } from '../src/operators/group.js';
import { infer } from '../src/operators/infer.js';
import { joinNav, type JoinNavOptions } from '../src/operators/join-nav.js';
import { skipDuplicates } from '../src/operators/skip-duplicates.js';
import { sampleEvery } from '../src/operators/sample.js';
import { decodeVideo, type DecodeStats } from '../src/sources/ffmpeg.js';
import type { FlowControl } from '../src/sources/flow-control.js';
import type { VideoInfo } from '../src/sources/probe.js';
import type { NavLog } from '../src/telemetry/nav-log.js';
import type { FrameResult } from '../src/types.js';

export interface TimelineContext {
  input: string;
  info: VideoInfo;
  model: ModelSession;
  options: TimelineOptions;
  /** Pauses decoding while frames are in flight; the command releases them as rows are written. */
  flow: FlowControl;
  /** With `--nav`: the navigation log and this input's start on its clock. */
  nav?: JoinNavOptions & { log: NavLog };
  onDecodeEnd: (stats: DecodeStats) => void;
}

export function timelinePipeline(ctx: TimelineContext): Observable<FrameResult> {
  const { input, info, model, options, flow } = ctx;
  const card = model.card;
  const crop = options.crop ?? card.crop;
  const size = { width: card.input.width, height: card.input.height };
  const decode = {
    info,
    keyframesOnly: options.keyframes,
    startSeconds: options.start,
    endSeconds: options.end,
    flow,
    hwaccel: options.hwaccel,
    onEnd: ctx.onDecodeEnd,
  };
  const frames = options.pushdown
    ? decodeVideo(input, { ...decode, everySeconds: options.every, crop, outputSize: size })
    : decodeVideo(input, decode).pipe(sampleEvery(options.every, { onDrop: () => flow.done() }), cropResize(crop, size));
  return frames.pipe(
    skipDuplicates({ enabled: options.skipDuplicates }, infer(model, { batchSize: options.batch, uncertainBelow: options.uncertainBelow })),
    gradCam({
      model,
      threshold: options.camThreshold,
      thresholdMethod: options.camMethod,
      fallback: options.camFallback,
      also: options.camAlso,
    }),
    groupFrames(),
    ctx.nav ? joinNav(ctx.nav.log, ctx.nav) : (results) => results,
  );
}
