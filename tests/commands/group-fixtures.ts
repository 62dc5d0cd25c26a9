/** Generated clips for grouping tests: scenes from ffmpeg's lavfi sources, cut hard, with noise. */
import { spawnSync } from 'node:child_process';
import { ffmpegPath } from '../../src/sources/binaries.js';

/** lavfi scene sources that look nothing alike (and hash far apart); the fractal zooms slowly (drift). */
export const SCENES = {
  bars: 'smptebars',
  rgb: 'testsrc', // frozen on its first frame below
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
  // testsrc animates (a counter, a moving bar): freeze its first frame so the scene holds still.
  const freeze = (s: SceneName) => (s === 'rgb' ? `loop=loop=-1:size=1:start=0,trim=duration=${secondsEach},setpts=PTS-STARTPTS,` : '');
  const inputs = scenes.map((s, i) => `[${i}:v]${freeze(s)}format=yuv420p,setsar=1[v${i}]`).join(';');
  const concat = `${scenes.map((_, i) => `[v${i}]`).join('')}concat=n=${scenes.length}:v=1:a=0,noise=alls=8:allf=t[out]`;
  args.push(
    '-filter_complex',
    `${inputs};${concat}`,
    '-map',
    '[out]',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '28',
    '-pix_fmt',
    'yuv420p',
    path,
  );
  const run = spawnSync(ffmpegPath(), args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ffmpeg failed making ${path}: ${run.stderr}`);
}
