/** Generated clips for grouping tests: scenes from ffmpeg's lavfi sources, cut hard, with noise. */
import { spawnSync } from 'node:child_process';
import { ffmpegPath } from '../../src/sources/binaries.js';

/** lavfi scene sources that look nothing alike (and hash far apart). */
export const SCENES = {
  bars: 'smptebars',
  rgb: 'rgbtestsrc',
  fractal: 'mandelbrot',
  hdbars: 'smptehdbars',
} as const;
export type SceneName = keyof typeof SCENES;

/**
 * A 160x120 clip at 10 fps: each scene held `secondsEach`, in the order given (a name may repeat:
 * a revisit), with temporal noise so no two frames are identical. H.264 via the bundled ffmpeg.
 */
export function writeSceneClip(path: string, scenes: readonly SceneName[], secondsEach = 2): void {
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  for (const s of scenes) args.push('-f', 'lavfi', '-t', String(secondsEach), '-i', `${SCENES[s]}=size=160x120:rate=10`);
  const inputs = scenes.map((_, i) => `[${i}:v]format=yuv420p,setsar=1[v${i}]`).join(';');
  const concat = `${scenes.map((_, i) => `[v${i}]`).join('')}concat=n=${scenes.length}:v=1:a=0,noise=alls=8:allf=t[out]`;
  args.push('-filter_complex', `${inputs};${concat}`, '-map', '[out]', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '28', '-pix_fmt', 'yuv420p', path);
  const run = spawnSync(ffmpegPath(), args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ffmpeg failed making ${path}: ${run.stderr}`);
}
