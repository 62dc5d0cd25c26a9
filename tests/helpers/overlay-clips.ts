/**
 * Clips with burned-in overlays, made by ffmpeg: a textured scene that pans (as under a moving ROV)
 * or stands still, with `drawtext` overlays on top: a static telemetry line and a running clock.
 * The same scene is also rendered without the overlays (what the fill should get close to) and the
 * overlays alone on black (where the overlay pixels are).
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpeg, TMP } from './clips.js';

export const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
export const hasFont = existsSync(FONT);

export const OVERLAY_CLIP = { width: 320, height: 240, fps: 10, seconds: 6 };

/** The static line's and the clock's boxes in pixels (with a margin of a few pixels around every glyph). */
export const STATIC_TEXT_BOX = { x: 4, y: 4, width: 200, height: 34 };
export const CLOCK_BOX = { x: 196, y: 200, width: 120, height: 36 };

const TEXTS = [
  `drawtext=fontfile=${FONT}:text='DEPTH 1234 m':x=10:y=10:fontsize=20:fontcolor=white`,
  `drawtext=fontfile=${FONT}:text='%{pts\\:gmtime\\:0\\:%H\\\\\\:%M\\\\\\:%S}':x=202:y=208:fontsize=20:fontcolor=white`,
].join(',');

export type OverlayScene = 'moving' | 'still';

function scene(kind: OverlayScene, background: boolean): string {
  const { width, height, fps, seconds } = OVERLAY_CLIP;
  const t = kind === 'moving' ? 'T' : '0';
  // Two crossed sine gratings drifting in different directions: texture everywhere, edges that move.
  const lum = `128+45*sin((X+40*${t})/6)*sin((Y+25*${t})/9)+35*sin((X-30*${t}+Y)/17)`;
  const base = `color=c=black:s=${width}x${height}:r=${fps}:d=${seconds},format=yuv444p`;
  return background ? `${base},geq=lum='${lum}':cb=128:cr=100` : base;
}

function render(name: string, filters: string): string {
  mkdirSync(join(TMP, 'clips'), { recursive: true });
  const path = join(TMP, 'clips', `${name}.mp4`);
  if (existsSync(path)) return path;
  const partial = join(TMP, 'clips', `${name}.${process.pid}.partial.mp4`);
  ffmpeg(['-f', 'lavfi', '-i', filters, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p', '-g', '10', partial]);
  renameSync(partial, path);
  return path;
}

/** The scene with its overlays burned in. */
export const overlayClip = (kind: OverlayScene) => render(`overlay-${kind}-v1`, `${scene(kind, true)},${TEXTS}`);
/** The same scene without overlays. */
export const cleanClip = (kind: OverlayScene) => render(`overlay-${kind}-clean-v1`, scene(kind, true));
/** The overlays alone, white on black. */
export const overlayOnlyClip = () => render('overlay-only-v1', `${scene('still', false)},${TEXTS}`);
