/**
 * The live pipeline: a feed to annotated results, always on the newest frame.
 *
 *   live source (ffmpeg: crop + resize in its filter graph; reconnects; status events)
 *     -> latest: while the stages below are busy keep only the newest frame, drop the rest
 *          -> infer (both heads, embedding, CAM maps; one frame at a time for latency)
 *          -> gradCam (boxes, peak, area from the CAM; no occlusion fallback: too slow live)
 *          -> JPEG (plain frame for the page to draw on, or rendered by src/explain/render.ts)
 *     -> groupFrames (near-duplicate group ids, no hysteresis delay)
 *     -> sinks (WebSocket, optional timeline CSV), attached by src/live/run.ts
 *
 * Everything slow runs inside `latest`, so a frame is dropped rather than queued whenever any of it
 * is busy, and latency stays bounded by one frame's work however fast the feed is.
 */
import { filter, map, mergeMap, of, tap, type Observable } from 'rxjs';
import type { LiveOptions } from '../src/config/live.js';
import { renderAnnotated } from '../src/explain/render.js';
import type { ModelSession } from '../src/model/session.js';
import { gradCam } from '../src/operators/grad-cam.js';
import { groupFrames } from '../src/operators/group.js';
import { infer } from '../src/operators/infer.js';
import { latest } from '../src/operators/latest.js';
import { frameToJpeg } from '../src/sinks/contact-sheet.js';
import { liveSource, type LiveStatus } from '../src/sources/live.js';
import { jpegSize } from '../src/live/jpeg-size.js';
import type { Frame, FrameResult, Size } from '../src/types.js';

export interface LiveContext {
  input: string;
  model: ModelSession;
  options: LiveOptions;
  onStatus: (status: LiveStatus) => void;
  onFrameReceived: () => void;
  onFrameDropped: () => void;
}

export interface LiveItem {
  result: FrameResult;
  jpeg?: Buffer;
  /** Size of `jpeg`. */
  image?: Size;
  /** The JPEG already shows the heatmap, boxes and labels. */
  annotated: boolean;
}

export function livePipeline(ctx: LiveContext): Observable<LiveItem> {
  const { model, options } = ctx;
  const card = model.card;
  const { sendFrames, overlay, jpegQuality } = options.pipeline;
  const localise = card.heads.element ? gradCam({ fallback: 'none' }) : (results: Observable<FrameResult>) => results;
  // Pictures travel beside the results: grouping spreads results into new objects but keeps `frame`.
  const pictures = new WeakMap<Frame, { jpeg: Buffer; image: Size }>();

  const picture = async (result: FrameResult): Promise<FrameResult> => {
    if (!sendFrames) return result;
    const { frame } = result;
    const jpeg = overlay === 'server' ? await renderAnnotated(frame, result, { jpegQuality }) : await frameToJpeg(frame, jpegQuality);
    pictures.set(frame, { jpeg, image: jpegSize(jpeg) ?? { width: frame.width, height: frame.height } });
    return result;
  };

  return liveSource(ctx.input, options.source, { crop: card.crop, outputSize: { width: card.input.width, height: card.input.height } }).pipe(
    tap((event) => event.type === 'status' && ctx.onStatus(event.status)),
    filter((event) => event.type === 'frame'),
    map((event) => (event as Extract<typeof event, { type: 'frame' }>).frame),
    tap(() => ctx.onFrameReceived()),
    latest((frame: Frame) => of(frame).pipe(infer(model, { batchSize: 1 }), localise, mergeMap(picture)), { onDrop: () => ctx.onFrameDropped() }),
    groupFrames({ confirmFrames: 1 }),
    map((result) => {
      const pic = pictures.get(result.frame);
      return { result, ...(pic ?? {}), annotated: Boolean(pic) && overlay === 'server' };
    }),
  );
}
