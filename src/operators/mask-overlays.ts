import { Observable, type OperatorFunction } from 'rxjs';
import type { OverlayMasker } from '../overlay/masker.js';
import type { Frame } from '../types.js';

export interface MaskOverlaysOptions {
  /**
   * Hold frames back until the first estimate, so that the recording's first frames are masked
   * too (files). Off for live feeds: frames pass unmasked until the window has filled once.
   */
  holdUntilEstimated?: boolean;
}

/**
 * Fills burned-in overlays (text, logos, laser dots) of each frame from their surroundings before
 * inference, so neither the heads nor the heatmaps use them. The masker (one per recording) learns
 * the mask from the frames that pass, or applies a fixed one. Held frames are released in order on
 * the first estimate, or when the source ends (estimating from what arrived); while the masker's
 * mask is being made elsewhere (`masker.prepare`), frames wait for it.
 */
export function maskOverlays(masker: OverlayMasker, options: MaskOverlaysOptions = {}): OperatorFunction<Frame, Frame> {
  const hold = options.holdUntilEstimated ?? true;
  return (source) =>
    new Observable<Frame>((subscriber) => {
      let held: Frame[] = [];
      const release = () => {
        const frames = held;
        held = [];
        for (const frame of frames) subscriber.next(masker.apply(frame));
      };
      // A mask being made elsewhere (the recording's pre-pass): frames wait for it, unobserved.
      let waiting = false;
      let end: (() => void) | undefined;
      const waitForMask = (pending: Promise<void>) => {
        if (waiting) return;
        waiting = true;
        pending.then(
          () => {
            waiting = false;
            release();
            end?.();
          },
          (error: unknown) => subscriber.error(error),
        );
      };
      const subscription = source.subscribe({
        next: (frame) => {
          const pending = masker.pending;
          if (pending || waiting) {
            held.push(frame);
            if (pending) waitForMask(pending);
            return;
          }
          masker.observe(frame);
          // A masker that can learn no more (a pre-pass that found no frames) has nothing to wait for.
          if (hold && !masker.current && masker.learning) {
            held.push(frame);
            return;
          }
          // The first estimate arrived: the frames held for it go first, in order.
          release();
          subscriber.next(masker.apply(frame));
        },
        error: (error) => {
          const pending = masker.pending;
          if (pending || waiting) {
            end = () => subscriber.error(error);
            if (pending) waitForMask(pending);
            return;
          }
          if (held.length) masker.estimateNow();
          release();
          subscriber.error(error);
        },
        complete: () => {
          const pending = masker.pending;
          if (pending || waiting) {
            end = () => subscriber.complete();
            if (pending) waitForMask(pending);
            return;
          }
          if (held.length) masker.estimateNow();
          release();
          subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
}
