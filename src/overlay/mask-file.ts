/**
 * Overlay masks as pictures: a greyscale PNG (or any picture sharp reads) over the whole source
 * frame, white (>= 128) where the overlay is. Its resolution need not match the video's: it is
 * stretched over the whole picture. The mask rovlens estimates is written the same way, at the
 * source's size, so it can be checked by eye, corrected in any editor and passed back.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';
import { InputError, OutputError } from '../errors.js';
import type { Size } from '../types.js';
import { OverlayMasker, type OverlayMaskerOptions } from './masker.js';
import { maskImage, type OverlayMask } from './overlay-mask.js';

export async function readOverlayMask(path: string): Promise<OverlayMask> {
  if (!existsSync(path)) throw new InputError(`--overlay-mask: ${path} does not exist (give auto, off or a mask picture)`, 'missing');
  try {
    const { data, info } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
    const cells = new Uint8Array(info.width * info.height);
    // Greyscale keeps an alpha channel when the picture has one: read the first channel only.
    for (let i = 0; i < cells.length; i++) cells[i] = data[i * info.channels]! >= 128 ? 1 : 0;
    return { width: info.width, height: info.height, cells, area: { x: 0, y: 0, width: 1, height: 1 } };
  } catch (error) {
    throw new InputError(`--overlay-mask: ${path} is not a picture sharp can read (${(error as Error).message})`);
  }
}

export async function writeOverlayMask(path: string, mask: OverlayMask, size: Size): Promise<void> {
  try {
    mkdirSync(dirname(path), { recursive: true });
    await sharp(Buffer.from(maskImage(mask, size)), { raw: { width: size.width, height: size.height, channels: 1 } })
      .png({ compressionLevel: 9 })
      .toFile(path);
  } catch (error) {
    throw new OutputError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * What `--overlay-mask` asks for, as a maker of one masker per recording: undefined for 'off'; a
 * masker that estimates for 'auto'; one that applies the picture's mask otherwise (read once here,
 * so a bad file fails before any decoding).
 */
export async function overlayMaskers(
  setting: string,
  options: OverlayMaskerOptions = {},
): Promise<(() => OverlayMasker) | undefined> {
  if (setting === 'off') return undefined;
  if (setting === 'auto') return () => new OverlayMasker(options);
  const fixed = await readOverlayMask(setting);
  return () => new OverlayMasker(options, fixed);
}

/**
 * Where `--save-overlay-mask` puts an input's mask: the path itself, or `<stem>.overlay-mask.png`
 * inside it when it is a folder (ends with / or exists as one).
 */
export function overlayMaskPath(save: string, input: string): string {
  if (!isFolderPath(save)) return save;
  const stem = basename(input, extname(input)) || 'stream';
  return join(save, `${stem}.overlay-mask.png`);
}

export const isFolderPath = (path: string): boolean => path.endsWith('/') || (existsSync(path) && statSync(path).isDirectory());
