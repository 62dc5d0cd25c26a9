/**
 * A recording's overlay mask, made once before its run from frames spread over the whole
 * recording (whatever --start/--end say). One mask per recording: every frame of a run, and every
 * chunk a queue cuts the recording into, is masked the same way, and the first frames need not wait
 * for a window to fill. Costs one short ffmpeg seek per frame (12 by default).
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import type { RelativeCrop } from '../geometry.js';
import type { OverlayMasker } from '../overlay/masker.js';
import { decodeVideo } from '../sources/ffmpeg.js';
import type { VideoInfo } from '../sources/probe.js';
import type { Frame, Size } from '../types.js';

export async function estimateRecordingOverlay(
  masker: OverlayMasker,
  input: string,
  info: VideoInfo,
  view: { crop: RelativeCrop; size: Size },
): Promise<void> {
  const duration = info.durationSeconds;
  const count = masker.windowFrames;
  const times = duration && duration > 0 ? Array.from({ length: count }, (_, i) => ((i + 0.5) * duration) / count) : [0];
  const frames: Frame[] = [];
  for (const startSeconds of times) {
    // The frame at the instant (ffmpeg seeks to the keyframe before it and decodes on): every run
    // of the recording gets the same frames.
    // A seek that fails (a damaged stretch) only costs the mask a frame: the run itself reports
    // what is wrong with the recording.
    const one = await firstValueFrom(
      decodeVideo(input, { info, startSeconds, crop: view.crop, outputSize: view.size }).pipe(take(1), toArray()),
    ).catch(() => []);
    frames.push(...one);
  }
  for (const frame of frames) masker.observe(frame);
  masker.freeze();
}
