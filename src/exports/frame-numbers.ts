/**
 * The stream's real frame numbers for a run's records. The decoder numbers frames exactly only when
 * it sees every frame from the start; with sampling, keyframes only or a start time the run records
 * pts x average fps, which is wrong on variable-frame-rate video (and annotators then put labels on
 * the wrong frame). Here the video's packet timestamps are read (ffprobe, no decoding) and each
 * record's presentation time is matched to the frame shown at that instant.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { ffprobePath } from '../sources/binaries.js';
import type { RunHeader, RunInput, RunRecord } from './run-file.js';

const run = promisify(execFile);

/**
 * Presentation times of every frame of the video's first video stream, in seconds on the decoder's
 * clock (the stream's first timestamp is 0, as ffmpeg counts when it decodes), ascending.
 */
export async function framePresentationTimes(video: string, streamStartSeconds: number): Promise<Float64Array> {
  let stdout: string;
  try {
    ({ stdout } = await run(
      ffprobePath(),
      ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', video],
      { maxBuffer: 1 << 30 },
    ));
  } catch (error) {
    throw new InputError(`cannot read the frame timestamps of ${video}: ${oneLineOf(error)}`);
  }
  const times = stdout
    .split('\n')
    .map((line) => Number.parseFloat(line))
    .filter(Number.isFinite)
    .map((t) => t - streamStartSeconds);
  return Float64Array.from(times).sort();
}

function oneLineOf(error: unknown): string {
  const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
  return stderr.split('\n').pop() || (error as Error).message;
}

/** Index of the frame whose presentation time is nearest to `seconds` (times ascending). */
export function nearestFrame(times: Float64Array, seconds: number): number {
  let low = 0;
  let high = times.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (times[mid]! < seconds) low = mid + 1;
    else high = mid;
  }
  if (low > 0 && Math.abs(times[low - 1]! - seconds) <= Math.abs(times[low]! - seconds)) return low - 1;
  return low;
}

/**
 * A function from record to the stream's frame number. The recorded number is kept where it is
 * exact (every frame decoded from the start); otherwise the video is needed: `video` is where it is
 * now (see locateInput), or undefined when it cannot be found, which is refused where the recorded
 * numbers could be wrong (variable frame rate) and accepted at a constant rate.
 */
export async function streamFrameNumbers(
  header: RunHeader,
  input: RunInput,
  video: string | undefined,
  whyVideoMissing?: () => never,
): Promise<(record: RunRecord) => number> {
  if (header.sampling.frameIndexExact) return (record) => record.frameIndex;
  if (video === undefined) {
    if (!input.probe.variableFrameRate) return (record) => record.frameIndex;
    whyVideoMissing?.();
    throw new InputError(`${input.path} has a variable frame rate: its frame numbers need the video`, 'missing');
  }
  const times = await framePresentationTimes(video, input.probe.startSeconds);
  if (!times.length) return (record) => record.frameIndex;
  return (record) => nearestFrame(times, record.ptsSeconds);
}
