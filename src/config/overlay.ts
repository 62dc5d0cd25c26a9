/**
 * `--overlay-mask` and `--save-overlay-mask`: one definition shared by timeline, annotate and live.
 */
import { z } from 'zod';

export const overlayMaskSchema = z
  .string()
  .min(1)
  .default('auto')
  .describe(
    'burned-in text and graphics (time, depth, logos): auto = found from the video (still while the scene moves, sharp edges) and filled from the surroundings before inference; off; or a mask picture (white = overlay)',
  );

export const saveOverlayMaskSchema = z
  .string()
  .optional()
  .describe('write the overlay mask used (a PNG at the video size, white = masked); a folder: <name>.overlay-mask.png per input');

export const overlayOptionsShape = {
  overlayMask: overlayMaskSchema,
  saveOverlayMask: saveOverlayMaskSchema,
};
