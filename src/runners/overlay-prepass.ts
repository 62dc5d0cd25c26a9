/**
 * A recording's overlay mask, made once as its run starts, from frames spread over the whole
 * recording (whatever --start/--end say). One mask per recording: every frame of a run, and every
 * chunk a queue cuts the recording into, is masked the same way, and the first frames need not wait
 * for a window to fill. Costs one short ffmpeg seek per frame (12 by default), run a few at a time:
 * each is mostly process start-up and one GOP of decoding, so in parallel they overlap, and the run
 * decodes meanwhile (its frames wait for the mask: OverlayMasker.prepare).
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
  sampling: { keyframesOnly?: boolean } = {},
): Promise<void> {
  const duration = info.durationSeconds;
  const count = masker.windowFrames;
  const times = duration && duration > 0 ? Array.from({ length: count }, (_, i) => ((i + 0.5) * duration) / count) : [0];
  // The frame at each instant (ffmpeg seeks to the keyframe before it and decodes on): every run of
  // the recording gets the same frames. One decoder thread: frame threads only add start-up and
  // contention to a seek that decodes one GOP, and four seeks already run at once (the pictures
  // are the same either way). A seek that fails (a damaged stretch) only costs the mask a frame:
  // the run itself reports what is wrong with the recording.
  const frameAt = (startSeconds: number): Promise<Frame[]> =>
    firstValueFrom(
      decodeVideo(input, { info, startSeconds, crop: view.crop, outputSize: view.size, inputOptions: ['-threads', '1'] }).pipe(
        take(1),
        toArray(),
      ),
    ).catch(() => []);
  // A keyframes scan sees keyframes only, and its mask comes from them: the keyframe at or before
  // each instant, one picture's decoding per seek. Where instants share a keyframe (keyframes
  // further apart than the instants) the later ones take their exact frame, as a repeated picture
  // would look as still as burned-in text. The other runs use exact frames: on the JAMSTEC clip
  // keyframes alone left more of the text beside the mask (the heatmap peak on the filled mask in
  // 47.5 % of frames, against 12.5-40 % with exact frames at five sets of instants).
  const keyframeAt = (startSeconds: number): Promise<Frame[]> =>
    firstValueFrom(
      decodeVideo(input, {
        info,
        startSeconds,
        keyframesOnly: true,
        inputOptions: ['-noaccurate_seek', '-threads', '1'],
        crop: view.crop,
        outputSize: view.size,
      }).pipe(take(1), toArray()),
    ).catch(() => []);
  const found = await inParallel(times, sampling.keyframesOnly ? keyframeAt : frameAt);
  if (sampling.keyframesOnly) {
    const seen = new Set<number>();
    const repeated = found.flatMap((frames, i) => {
      const pts = frames[0]?.ptsSeconds;
      if (pts === undefined) return [];
      const again = seen.has(pts);
      seen.add(pts);
      return again ? [i] : [];
    });
    const retaken = await inParallel(
      repeated.map((i) => times[i]!),
      frameAt,
    );
    repeated.forEach((i, j) => (found[i] = retaken[j]!));
  }
  // Observed in time order, whichever seek finished first.
  for (const frame of found.flat()) masker.observe(frame);
  masker.freeze();
}

/** Each instant's frames, a few seeks at a time (each is mostly process start-up and waiting). */
async function inParallel(times: readonly number[], decodeAt: (seconds: number) => Promise<Frame[]>): Promise<Frame[][]> {
  const found: Frame[][] = new Array(times.length);
  let next = 0;
  const worker = async () => {
    while (next < times.length) {
      const i = next++;
      found[i] = await decodeAt(times[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, availableParallelism(), times.length) }, worker));
  return found;
}
