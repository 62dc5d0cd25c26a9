/**
 * A recording's overlay mask, made once before its run from frames spread over the whole
 * recording (whatever --start/--end say). One mask per recording: every frame of a run, and every
 * chunk a queue cuts the recording into, is masked the same way, and the first frames need not wait
 * for a window to fill. Costs one short ffmpeg seek per frame (12 by default), run a few at a time:
 * each is mostly process start-up and one GOP of decoding, so in parallel they overlap.
 */
import { availableParallelism } from 'node:os';
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
  // The frame at each instant (ffmpeg seeks to the keyframe before it and decodes on): every run of
  // the recording gets the same frames. Not the keyframe alone: with keyframes seconds apart, several
  // instants would share one picture, and a scene that repeats looks as still as burned-in text. A
  // seek that fails (a damaged stretch) only costs the mask a frame: the run itself reports what is
  // wrong with the recording.
  const frameAt = (startSeconds: number): Promise<Frame[]> =>
    firstValueFrom(decodeVideo(input, { info, startSeconds, crop: view.crop, outputSize: view.size }).pipe(take(1), toArray())).catch(
      () => [],
    );
  const found: Frame[][] = new Array(times.length);
  let next = 0;
  const worker = async () => {
    while (next < times.length) {
      const i = next++;
      found[i] = await frameAt(times[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, availableParallelism(), times.length) }, worker));
  // Observed in time order, whichever seek finished first.
  for (const frame of found.flat()) masker.observe(frame);
  masker.freeze();
}
