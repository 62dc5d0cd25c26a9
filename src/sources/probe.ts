/** What a video input is: container, codec, size, frame rate, duration, keyframe interval. */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import type { Size } from '../types.js';
import { binaryFailure, ffmpegPath, ffprobePath } from './binaries.js';

const run = promisify(execFile);

export interface VideoInfo {
  input: string;
  container: string;
  codec: string;
  /** Display size: after the rotation the container asks for. */
  width: number;
  height: number;
  /** Average frame rate (frames / duration), or the nominal rate when the container gives no average. */
  fps: number;
  variableFrameRate: boolean;
  /** Seconds; undefined for live streams. */
  durationSeconds?: number;
  /** First presentation time of the video stream, seconds (0 for most files, not for MPEG-TS). */
  startSeconds: number;
  frameCount?: number;
  /** The video stream's time base ("1/15360"): the unit of its timestamps. */
  timeBase?: string;
  /** Mean seconds between keyframes over the first minute, when there are two or more. */
  keyframeIntervalSeconds?: number;
  rotation: number;
  bitRate?: number;
  /** When recording started, as the container says (`creation_time`, ISO 8601, usually UTC). */
  creationTime?: string;
}

export function isUrl(input: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input) || input === '-' || input.startsWith('pipe:');
}

/** Existence checks with the messages users need, before ffmpeg says something cryptic. */
export function checkInputFile(input: string): void {
  if (isUrl(input) || input.startsWith('/dev/video')) return;
  if (!existsSync(input)) throw new InputError(`input not found: ${input}`, 'missing');
  const stat = statSync(input);
  if (stat.isDirectory()) throw new InputError(`input is a folder, not a video: ${input}`);
  if (stat.size === 0) throw new InputError(`input is empty (0 bytes): ${input}`);
}

const rate = (r: string | undefined): number => {
  if (!r) return 0;
  const [n, d] = r.split('/').map(Number);
  return d ? n! / d : n!;
};

export async function probeVideo(input: string, { keyframes = true } = {}): Promise<VideoInfo> {
  checkInputFile(input);
  let json: ProbeJson;
  try {
    const { stdout } = await run(ffprobePath(), ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input], {
      maxBuffer: 16 << 20,
    });
    json = JSON.parse(stdout) as ProbeJson;
  } catch (error) {
    // Some static ffprobe builds crash on damaged streams that ffmpeg itself decodes: ask ffmpeg.
    if ((error as { signal?: string }).signal) return probeWithFfmpeg(input);
    const setup = binaryFailure(error, 'ffprobe');
    if (setup) throw setup;
    const stderr =
      String((error as { stderr?: string }).stderr ?? '')
        .trim()
        .split('\n')
        .pop() ?? '';
    throw new InputError(`cannot read ${input} as video: ${stderr.replace(/^.*?: /, '') || 'ffprobe failed'}`);
  }
  const stream = json.streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!stream) {
    const kinds = [...new Set((json.streams ?? []).map((s) => s.codec_type))].join(', ') || 'nothing';
    throw new InputError(`${input} has no video stream (it holds: ${kinds})`);
  }
  if (!stream.codec_name) {
    throw new InputError(
      `${input}: unsupported video codec (fourcc ${stream.codec_tag_string ?? 'unknown'}); this ffmpeg cannot decode it (set FFMPEG_PATH to a build that can)`,
    );
  }
  const container = json.format?.format_name ?? 'unknown';
  if (/^(image2|png_pipe|jpeg_pipe|webp_pipe|bmp_pipe|tiff_pipe)/.test(container) && Number(json.format?.duration ?? 0) < 0.1) {
    throw new InputError(`${input} is a still image, not a video (use an image folder with 'rovlens group', or a video file)`);
  }
  const rotation =
    Math.abs(Number(stream.tags?.rotate ?? stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0)) % 360;
  const swap = rotation === 90 || rotation === 270;
  const avg = rate(stream.avg_frame_rate);
  const nominal = rate(stream.r_frame_rate);
  const duration = Number(stream.duration ?? json.format?.duration);
  const info: VideoInfo = {
    input,
    container,
    codec: stream.codec_name ?? 'unknown',
    width: swap ? stream.height! : stream.width!,
    height: swap ? stream.width! : stream.height!,
    fps: avg || nominal,
    variableFrameRate: avg > 0 && nominal > 0 && Math.abs(avg - nominal) / nominal > 0.01,
    durationSeconds: Number.isFinite(duration) ? duration : undefined,
    startSeconds: Number(stream.start_time ?? 0) || 0,
    frameCount: stream.nb_frames ? Number(stream.nb_frames) : undefined,
    timeBase: stream.time_base,
    rotation,
    bitRate: json.format?.bit_rate ? Number(json.format.bit_rate) : undefined,
    creationTime: json.format?.tags?.creation_time ?? stream.tags?.creation_time,
  };
  if (!info.width || !info.height) throw new InputError(`${input}: the video stream has no picture size (codec ${info.codec})`);
  if (keyframes && !isUrl(input)) info.keyframeIntervalSeconds = await keyframeInterval(input);
  return info;
}

/**
 * Times of the keyframes in ffprobe's `-read_intervals` (e.g. '%+60': the first minute; '30%+#1': the
 * packet at 30 s), read from packet flags without decoding: sorted, each once.
 */
export async function keyframeTimes(input: string, readIntervals: string): Promise<number[]> {
  const { stdout } = await run(
    ffprobePath(),
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-read_intervals',
      readIntervals,
      '-show_entries',
      'packet=pts_time,flags',
      '-of',
      'csv=p=0',
      input,
    ],
    { maxBuffer: 64 << 20 },
  );
  const times = stdout
    .split('\n')
    .filter((l) => /,K/.test(l))
    .map((l) => Number(l.split(',')[0]))
    .filter(Number.isFinite);
  return [...new Set(times)].sort((a, b) => a - b);
}

/** Mean spacing of keyframes over the first minute. */
async function keyframeInterval(input: string): Promise<number | undefined> {
  try {
    const times = await keyframeTimes(input, '%+60');
    return times.length >= 2 ? (times[times.length - 1]! - times[0]!) / (times.length - 1) : undefined;
  } catch {
    return undefined;
  }
}

export function displaySize(info: VideoInfo): Size {
  return { width: info.width, height: info.height };
}

interface ProbeJson {
  streams?: {
    codec_type?: string;
    codec_name?: string;
    codec_tag_string?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    duration?: string;
    start_time?: string;
    nb_frames?: string;
    time_base?: string;
    tags?: { rotate?: string; creation_time?: string };
    side_data_list?: { rotation?: number }[];
    disposition?: { attached_pic?: number };
  }[];
  format?: { format_name?: string; duration?: string; bit_rate?: string; tags?: { creation_time?: string } };
}

/** The fallback probe: the stream summary that `ffmpeg -i` prints. */
async function probeWithFfmpeg(input: string): Promise<VideoInfo> {
  const text: string = await run(ffmpegPath(), ['-hide_banner', '-nostdin', '-i', input], { maxBuffer: 16 << 20 }).then(
    (r) => r.stderr,
    (error: { stderr?: string }) => String(error.stderr ?? ''),
  );
  const video = /Stream #\d+:\d+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})[ ,].*?(?:([\d.]+) fps|([\d.]+) tbr)/.exec(text);
  if (!video) throw new InputError(`cannot read ${input} as video: ${text.trim().split('\n').pop() ?? 'no video stream'}`);
  const duration = /Duration: (\d+):(\d+):([\d.]+)/.exec(text);
  const start = /start: (-?[\d.]+)/.exec(text);
  return {
    input,
    container: /Input #0, ([^,]+(?:,[^,]+)*?), from/.exec(text)?.[1] ?? 'unknown',
    codec: video[1]!,
    width: Number(video[2]),
    height: Number(video[3]),
    fps: Number(video[4] ?? video[5]),
    variableFrameRate: false,
    durationSeconds: duration ? Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]) : undefined,
    startSeconds: start ? Number(start[1]) : 0,
    rotation: 0,
  };
}
