/**
 * Procedural seafloor scenes drawn by ffmpeg's own filters, so the project's samples and test clips
 * are its own work and free to redistribute: rippled sand, then dark mud with a rock drifting past,
 * seen between the dark metal bars of an ROV frame at the left and right edges.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ffmpegPath } from '../src/sources/binaries.js';

export interface SceneClip {
  width: number;
  height: number;
  /** Seconds of rippled sand, then the same of mud with a rock. */
  secondsPerScene: number;
  fps: number;
  /** ffmpeg encoder arguments, e.g. ['-c:v', 'libx264', '-preset', 'ultrafast']. */
  codec: string[];
  /** Dark ROV bars at the sides, as a fraction of the width each (0: none). */
  barFraction?: number;
}

/** The filter graph (one output, `[out]`) drawing the scene at the clip's size. */
export function sceneFilter(clip: SceneClip): string {
  const { width: W, height: H, secondsPerScene: S, fps } = clip;
  const bar = clip.barFraction ?? 0.13;
  // Ripple wavelength and pan speed scale with the picture, so every resolution shows the same scene.
  const wave = Math.max(8, Math.round(W / 20));
  const sand =
    `color=c=black:s=${W}x${H}:r=${fps}:d=${S},format=yuv420p,` +
    `geq=lum='150+45*sin(2*PI*((Y+${(H / 8).toFixed(1)}*T)/${wave}+0.3*sin(2*PI*X/${Math.round(W / 3)})))':cb=112:cr=140`;
  const mud = `color=c=0x3a3026:s=${W}x${H}:r=${fps}:d=${S},format=yuv420p,noise=alls=10`;
  const r = Math.round(H / 6);
  const tex = `125+30*sin(X/${Math.max(2, r / 12).toFixed(1)})*cos(Y/${Math.max(2, r / 9).toFixed(1)})`;
  const rock =
    `color=c=black@0:s=${2 * r}x${2 * r}:r=${fps}:d=${S},format=rgba,` +
    `geq=r='${tex}':g='${tex}-4':b='${tex}-12':a='255*lt(hypot(X-${r},(Y-${r})*1.3),${r})'`;
  const bars =
    bar > 0
      ? `,drawbox=x=0:y=0:w=${Math.round(W * bar)}:h=${H}:color=0x1c1f24@1:t=fill` +
        `,drawbox=x=${W - Math.round(W * bar)}:y=0:w=${Math.round(W * bar)}:h=${H}:color=0x1c1f24@1:t=fill` +
        `,drawbox=x=${Math.round(W * bar) - Math.max(2, Math.round(W / 200))}:y=0:w=${Math.max(2, Math.round(W / 200))}:h=${H}:color=0x8a9099@1:t=fill` +
        `,drawbox=x=${W - Math.round(W * bar)}:y=0:w=${Math.max(2, Math.round(W / 200))}:h=${H}:color=0x8a9099@1:t=fill`
      : '';
  return (
    `${sand}[sand];${mud}[mud];${rock}[rock];` +
    `[mud][rock]overlay=x='W*0.8-(W*0.6)*t/${S}-${r}':y='H/2-${r}':shortest=1[mudrock];` +
    `[sand][mudrock]concat=n=2:v=1:a=0,format=yuv420p${bars}[out]`
  );
}

export function makeSceneClip(path: string, clip: SceneClip): void {
  mkdirSync(dirname(path), { recursive: true });
  const args = ['-v', 'error', '-y', '-filter_complex', sceneFilter(clip), '-map', '[out]', ...clip.codec, path];
  const result = spawnSync(ffmpegPath(), args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffmpeg could not make ${path}: ${result.stderr.trim().split('\n').pop()}`);
}
