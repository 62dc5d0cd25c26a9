/**
 * The pictures of the review page: a group's representative frame, whole, scaled to the display
 * width, plain or with the element heatmap over the part the model sees. Decoded on demand (one
 * ffmpeg seek, or one image read) and kept in a small cache, so a long dive costs no memory up front.
 */
import { lastValueFrom, of, take } from 'rxjs';
import sharp from 'sharp';
import { renderAnnotated } from '../explain/render.js';
import type { RelativeCrop } from '../geometry.js';
import type { ModelSession } from '../model/session.js';
import { cropResizeFrame } from '../operators/crop-resize.js';
import { gradCam } from '../operators/grad-cam.js';
import { infer } from '../operators/infer.js';
import { frameToJpeg } from '../sinks/contact-sheet.js';
import { decodeVideo } from '../sources/ffmpeg.js';
import { readImageFrame } from '../sources/images.js';
import type { Frame } from '../types.js';
import type { ReviewFrame } from './order.js';

export interface PictureOptions {
  model: ModelSession;
  crop: RelativeCrop;
  displayWidth: number;
  jpegQuality: number;
  /** Pictures kept (plain and heatmap count separately). */
  cacheSize?: number;
}

export class ReviewPictures {
  private readonly cache = new Map<string, Promise<Buffer>>();

  constructor(private readonly options: PictureOptions) {}

  /** JPEG of the frame; with `heat`, the element heatmap (Grad-CAM) blended over the model's crop. */
  picture(frame: ReviewFrame, heat: boolean): Promise<Buffer> {
    const key = `${heat ? 'heat' : 'plain'}:${frame.source}@${frame.ptsSeconds ?? ''}`;
    let cached = this.cache.get(key);
    if (cached) {
      // Most recently used last, so the oldest goes first.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    cached = this.render(frame, heat);
    // A failure is not cached: the next request tries again.
    cached.catch(() => this.cache.delete(key));
    this.cache.set(key, cached);
    while (this.cache.size > (this.options.cacheSize ?? 24)) this.cache.delete(this.cache.keys().next().value!);
    return cached;
  }

  private async render(frame: ReviewFrame, heat: boolean): Promise<Buffer> {
    const display = await this.displayFrame(frame);
    if (!heat) return frameToJpeg(display, this.options.jpegQuality);
    const { model, crop } = this.options;
    const size = { width: model.card.input.width, height: model.card.input.height };
    const result = await lastValueFrom(
      of(await cropResizeFrame(display, crop, size)).pipe(infer(model, { batchSize: 1 }), gradCam({ fallback: 'none' })),
    );
    return renderAnnotated(display, result, {
      jpegQuality: this.options.jpegQuality,
      minWidthPixels: display.width,
      maxWidthPixels: Math.max(64, display.width),
    });
  }

  /** The whole frame, scaled down to the display width (never up). */
  private async displayFrame(frame: ReviewFrame): Promise<Frame> {
    const width = this.options.displayWidth;
    if (frame.ptsSeconds !== undefined) {
      // Times are kept to the millisecond: seeking half a millisecond early lands on the frame itself,
      // not the one after it, when rounding moved its time up.
      const startSeconds = Math.max(0, frame.ptsSeconds - 0.0005);
      return lastValueFrom(decodeVideo(frame.source, { startSeconds, fitWidth: width }).pipe(take(1)));
    }
    const full = await readImageFrame(frame.source, 0);
    if (full.width <= width) return full;
    const height = Math.max(1, Math.round((full.height * width) / full.width));
    const { data } = await sharp(full.pixels, { raw: { width: full.width, height: full.height, channels: 3 } })
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { ...full, width, height, pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
}
