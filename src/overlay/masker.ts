/**
 * One recording's overlay mask, estimated as its frames go by and applied to them. Keeps a window
 * of the latest sampled frames (as luma, at the size they arrive), detects the overlay over it, and
 * fills the masked pixels of each frame from their surroundings. No I/O: the operator
 * (src/operators/mask-overlays.ts) and the live pipeline drive it.
 */
import type { Frame, Size } from '../types.js';
import { detectOverlay, luma, OVERLAY_DETECT_DEFAULTS, type OverlayDetectOptions } from './detect.js';
import { fillMasked } from './fill.js';
import { frameArea, maskedShare, maskForFrame, type OverlayMask } from './overlay-mask.js';

export interface OverlayMaskerOptions extends OverlayDetectOptions {
  /** Sampled frames per estimate. */
  windowFrames?: number;
  /**
   * 'once': the first window in which the scene moved gives the recording's mask (files);
   * 'sliding': re-estimated every `windowFrames` frames over the latest window (live feeds, whose
   * overlays can change).
   */
  refresh?: 'once' | 'sliding';
}

export const DEFAULT_WINDOW_FRAMES = 12;

export interface MaskEstimate {
  mask: OverlayMask;
  /** Share of the frames' pixels masked, 0..1. */
  share: number;
  sceneMotion: number;
  /** False while the scene has been too still to tell, or too few frames came (the mask is then empty). */
  decided: boolean;
  /** Frames the estimate was made on. */
  frames: number;
}

export class OverlayMasker {
  private readonly window: Uint8Array[] = [];
  private since = 0;
  private estimate: MaskEstimate | undefined;
  private gridSize: Size | undefined;
  private gridArea: OverlayMask['area'] | undefined;
  private readonly frameMasks = new Map<string, Uint8Array>();
  private frozen = false;
  private preparing: Promise<void> | undefined;
  /** The source picture's size, from the frames (for writing the mask as a picture). */
  sourceSize: Size | undefined;
  /** Frames that had masked pixels filled. */
  framesMasked = 0;
  /** Share of the last masked frame's pixels that were filled, 0..1 (of what the model sees). */
  frameShare = 0;

  /** A fixed mask (a user's PNG) is applied as it is; without one, the mask is estimated. */
  constructor(
    private readonly options: OverlayMaskerOptions = {},
    private readonly fixed?: OverlayMask,
  ) {}

  get windowFrames(): number {
    return Math.max(3, this.options.windowFrames ?? DEFAULT_WINDOW_FRAMES);
  }

  /** The current mask: the fixed one, or the latest estimate (undefined before the first). */
  get current(): MaskEstimate | undefined {
    if (this.fixed) return { mask: this.fixed, share: maskedShare(this.fixed), sceneMotion: 0, decided: true, frames: 0 };
    return this.estimate;
  }

  /** Whether more frames can still change the mask. */
  get learning(): boolean {
    if (this.fixed || this.frozen) return false;
    return this.options.refresh === 'sliding' || !this.estimate?.decided;
  }

  /**
   * Adds a frame to the window; returns a new estimate when one was made (the window filled up again).
   */
  observe(frame: Frame): MaskEstimate | undefined {
    if (!this.learning) return undefined;
    this.sourceSize = frame.sourceSize;
    const area = frameArea(frame);
    // A change of frame size or crop (a live feed that restarted differently) starts a new window.
    if (
      this.gridSize &&
      (this.gridSize.width !== frame.width || this.gridSize.height !== frame.height || !sameArea(this.gridArea!, area))
    ) {
      this.window.length = 0;
      this.since = 0;
    }
    this.gridSize = { width: frame.width, height: frame.height };
    this.gridArea = area;
    this.window.push(luma(frame.pixels, frame.width, frame.height));
    if (this.window.length > this.windowFrames) this.window.shift();
    this.since++;
    return this.since >= this.windowFrames ? this.estimateNow() : undefined;
  }

  /**
   * The mask is being made elsewhere (a recording's pre-pass over frames spread across it, which
   * ends in `freeze`): until `work` settles, frames wait for it (`pending`) instead of being learnt
   * from, so a run can decode while its mask is made.
   */
  prepare(work: Promise<void>): void {
    const done = work.then(() => {
      if (this.preparing === done) this.preparing = undefined;
    });
    // Whoever waits on `pending` sees a failure; a run that ended before waiting must not crash on it.
    done.catch(() => undefined);
    this.preparing = done;
  }

  /** The mask still being made by `prepare`'s work, if it is. */
  get pending(): Promise<void> | undefined {
    return this.preparing;
  }

  /**
   * Estimates from the frames seen so far and keeps that estimate for good (a recording's mask made
   * once from frames spread over it, so every part of the recording, in one run or in chunks, gets
   * the same mask).
   */
  freeze(): MaskEstimate | undefined {
    const estimate = this.estimateNow();
    this.frozen = true;
    return estimate;
  }

  /** Estimates from the frames seen so far, whether or not the window is full. */
  estimateNow(): MaskEstimate | undefined {
    if (!this.learning || !this.window.length || !this.gridSize) return undefined;
    this.since = 0;
    const { width, height } = this.gridSize;
    const detection = detectOverlay(this.window, width, height, this.options);
    const mask: OverlayMask = { width, height, cells: detection.mask, area: this.gridArea! };
    this.estimate = {
      mask,
      share: maskedShare(mask),
      sceneMotion: detection.sceneMotion,
      decided: detection.decided,
      frames: detection.frames,
    };
    this.frameMasks.clear();
    return this.estimate;
  }

  /** The frame with its masked pixels filled from their surroundings (the frame itself when none are). */
  apply(frame: Frame): Frame {
    const mask = this.current?.mask;
    if (!mask) return frame;
    const key = `${frame.width}x${frame.height}@${Object.values(frameArea(frame)).join(',')}`;
    let cells = this.frameMasks.get(key);
    if (!cells) {
      cells = maskForFrame(mask, frame);
      // One crop and size per recording in practice; a live feed that changes them gets a new entry.
      if (this.frameMasks.size > 8) this.frameMasks.clear();
      this.frameMasks.set(key, cells);
    }
    let filled = 0;
    for (const cell of cells) filled += cell;
    if (!filled) return frame;
    this.framesMasked++;
    this.frameShare = filled / cells.length;
    return { ...frame, pixels: fillMasked(frame.pixels, frame.width, frame.height, cells) };
  }
}

const sameArea = (a: OverlayMask['area'], b: OverlayMask['area']) =>
  Math.abs(a.x - b.x) < 1e-6 && Math.abs(a.y - b.y) < 1e-6 && Math.abs(a.width - b.width) < 1e-6 && Math.abs(a.height - b.height) < 1e-6;

/** The summary's words on the overlay mask: how much of the picture was masked, or why nothing was. */
export function overlaySummary(overlay: OverlayMasker, setting: string): string {
  const estimate = overlay.current;
  const needed = OVERLAY_DETECT_DEFAULTS.minFrames;
  if (!estimate || (!estimate.decided && estimate.frames < needed))
    return `overlay mask: none (too few sampled frames to tell: ${estimate?.frames ?? 0} of ${needed})`;
  if (!estimate.decided) return `overlay mask: none (the scene barely moved: ${estimate.sceneMotion.toFixed(1)} grey levels)`;
  const from = setting === 'auto' ? 'found' : setting;
  if (!overlay.framesMasked) return `overlay mask (${from}): nothing to mask`;
  return `overlay mask (${from}): ${(100 * overlay.frameShare).toFixed(1)} % of the model's view filled in ${overlay.framesMasked} frames`;
}
