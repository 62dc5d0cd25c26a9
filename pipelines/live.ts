/**
 * The live pipeline: a feed to annotated results, always on the newest frame.
 *
 *   live source (ffmpeg: the whole picture scaled down to --display-width in its filter graph;
 *                reconnects; status events)
 *     -> latest: while the stages below are busy keep only the newest frame, drop the rest
 *          -> cropResizeFrame (the model's relative centre crop at its input size, cut from the
 *             display frame; Frame.region keeps both in source pixels)
 *          -> overlay mask (burned-in text filled from its surroundings; the mask re-estimated
 *             over the latest frames as the feed runs)
 *          -> infer (both heads, embedding, CAM maps; one frame at a time for latency)
 *          -> gradCam (boxes, peak, area from the CAM; no occlusion fallback: too slow live)
 *          -> the newest navigation values (--nav-udp: NMEA position and heading)
 *          -> JPEG of the DISPLAY frame (plain, for the page to draw on; or rendered by
 *             src/explain/render.ts with the crop outlined and the heatmap over the crop only)
 *     -> groupFrames (near-duplicate group ids, no hysteresis delay)
 *     -> sinks (WebSocket, optional timeline CSV), attached by src/runners/live.ts
 *
 * Everything slow runs inside `latest`, so a frame is dropped rather than queued whenever any of it
 * is busy, and latency stays bounded by one frame's work however fast the feed is.
 */
import { defer, filter, map, mergeMap, tap, type Observable } from 'rxjs';
import type { LiveOptions } from '../src/config/live.js';
import { renderAnnotated } from '../src/explain/render.js';
import type { ModelSession } from '../src/model/session.js';
import type { OverlayMasker } from '../src/overlay/masker.js';
import { gradCam } from '../src/operators/grad-cam.js';
import { groupFrames } from '../src/operators/group.js';
import { cropResizeFrame } from '../src/operators/crop-resize.js';
import { infer } from '../src/operators/infer.js';
import { latest } from '../src/operators/latest.js';
import { frameToJpeg } from '../src/sinks/contact-sheet.js';
import { liveSource, type LiveStatus } from '../src/sources/live.js';
import { jpegSize } from '../src/live/jpeg-size.js';
import type { Frame, FrameResult, Rect, Size } from '../src/types.js';

export interface LiveContext {
  input: string;
  model: ModelSession;
  options: LiveOptions;
  onStatus: (status: LiveStatus) => void;
  onFrameReceived: () => void;
  onFrameDropped: () => void;
  /** Element heatmaps (default true); off, results carry no CAM maps and no localisation. */
  heatmap?: boolean;
  /** Said under the heatmap on server-rendered pictures ('unreliable: x % vs centre y %'). */
  heatmapNote?: string;
  /** The feed's overlay masker (--overlay-mask auto or a mask picture); none with off. */
  overlay?: OverlayMasker;
  /** With a navigation feed (--nav-udp): its newest values, asked for at each processed frame. */
  navValues?: () => Record<string, number>;
  /** Called when ffmpeg runs: the runner creates the model's session then, while it decodes. */
  onDecodeStart?: () => void;
}

export interface LiveItem {
  result: FrameResult;
  jpeg?: Buffer;
  /** Size of `jpeg`. */
  image?: Size;
  /** Source pixels the picture shows (the whole source: the display frame's region). */
  imageRegion: Rect;
  /** The JPEG already shows the heatmap, boxes and labels. */
  annotated: boolean;
}

export function livePipeline(ctx: LiveContext): Observable<LiveItem> {
  const { model, options } = ctx;
  const card = model.card;
  const { sendFrames, overlay, jpegQuality, displayWidth } = options.pipeline;
  const modelSize = { width: card.input.width, height: card.input.height };
  const localise =
    ctx.heatmap === false
      ? map(({ cams: _cams, ...result }: FrameResult): FrameResult => result)
      : card.heads.element
        ? gradCam({ fallback: 'none' })
        : (results: Observable<FrameResult>) => results;
  // Pictures travel beside the results, keyed by the model frame: grouping spreads results into new
  // objects but keeps `frame`.
  const pictures = new WeakMap<Frame, { jpeg?: Buffer; image?: Size; imageRegion: Rect }>();

  // The picture is the display frame, not the model's crop: the renderer maps the CAM, boxes and
  // crop outline from source pixels onto it (and dims what the model did not see).
  const picture = async (display: Frame, result: FrameResult): Promise<FrameResult> => {
    if (!sendFrames) {
      pictures.set(result.frame, { imageRegion: display.region });
      return result;
    }
    // Rendered at the display frame's own size: no upscaling of small sources, no second downscale.
    const width = Math.max(16, Math.min(8192, display.width));
    const jpeg =
      overlay === 'server'
        ? await renderAnnotated(display, result, {
            jpegQuality,
            minWidthPixels: width,
            maxWidthPixels: Math.max(64, width),
            ...(ctx.heatmapNote ? { heatmapNote: ctx.heatmapNote } : {}),
          })
        : await frameToJpeg(display, jpegQuality);
    pictures.set(result.frame, {
      jpeg,
      image: jpegSize(jpeg) ?? { width: display.width, height: display.height },
      imageRegion: display.region,
    });
    return result;
  };

  const decode = {
    fitWidth: displayWidth,
    hwaccel: options.pipeline.hwaccel,
    ...(ctx.onDecodeStart ? { onStart: ctx.onDecodeStart } : {}),
  };
  return liveSource(ctx.input, options.source, decode).pipe(
    tap((event) => event.type === 'status' && ctx.onStatus(event.status)),
    filter((event) => event.type === 'frame'),
    map((event) => (event as Extract<typeof event, { type: 'frame' }>).frame),
    tap(() => ctx.onFrameReceived()),
    latest(
      (display: Frame) =>
        defer(() => cropResizeFrame(display, card.crop, modelSize)).pipe(
          map((frame) => (ctx.overlay ? maskFrame(ctx.overlay, frame) : frame)),
          infer(model, { batchSize: 1 }),
          localise,
          map((result) => (ctx.navValues ? withNav(result, ctx.navValues()) : result)),
          mergeMap((result) => picture(display, result)),
        ),
      { onDrop: () => ctx.onFrameDropped() },
    ),
    groupFrames({ confirmFrames: 1 }),
    map((result) => {
      const pic = pictures.get(result.frame);
      return {
        result,
        ...pic,
        imageRegion: pic?.imageRegion ?? { x: 0, y: 0, ...result.frame.sourceSize },
        annotated: Boolean(pic?.jpeg) && overlay === 'server',
      };
    }),
  );
}

/** Adds the frame to the masker's window (it re-estimates when the window has filled again) and masks it. */
function maskFrame(overlay: OverlayMasker, frame: Frame): Frame {
  overlay.observe(frame);
  return overlay.apply(frame);
}

/** The newest navigation values, stamped with the instant the frame left the decoder. */
function withNav(result: FrameResult, values: Record<string, number>): FrameResult {
  const atMs = result.frame.decodedAtMs ?? Date.now();
  return { ...result, nav: { time: new Date(atMs).toISOString(), values } };
}
