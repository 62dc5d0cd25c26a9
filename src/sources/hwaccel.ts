/**
 * Hardware decoding with NVIDIA's NVDEC, when the ffmpeg in use has it.
 *
 * The static ffmpeg bundled through npm has no NVDEC; Debian's ffmpeg (and most distribution builds)
 * has the `<codec>_cuvid` decoders, loaded from the NVIDIA driver at run time. A cuvid decoder crops
 * and resizes inside the decoder (`-crop`, `-resize`), so a 4K frame never leaves the GPU at full size:
 * only the model-sized picture is copied back. Whether that can work is asked once per process,
 * cheaply, before a decode starts, so a machine without the driver gets one line, not a failed run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { HwaccelRequest } from '../config/hardware.js';
import type { Rect, Size } from '../types.js';
import { ffmpegPath } from './binaries.js';

export type { HwaccelRequest } from '../config/hardware.js';

export interface HwaccelChoice {
  /** The NVDEC decoder to use, or undefined for software decoding. */
  decoder?: string;
  /** Why software decoding was chosen for a request that asked for hardware; undefined when it was not asked. */
  reason?: string;
}

const run = promisify(execFile);
// Asked once per ffmpeg binary (FFMPEG_PATH may name another between runs of one process).
const decoders = new Map<string, Promise<Set<string>>>();
const cudaDevices = new Map<string, Promise<string | undefined>>();

/** The decoders this ffmpeg has (`ffmpeg -decoders`). */
function ffmpegDecoders(ffmpeg: string): Promise<Set<string>> {
  let known = decoders.get(ffmpeg);
  if (!known) {
    known = run(ffmpeg, ['-hide_banner', '-decoders'], { maxBuffer: 4 << 20 })
      .then(({ stdout }) => new Set([...stdout.matchAll(/^\s*V\S*\s+(\S+)/gm)].map((m) => m[1]!)))
      .catch(() => new Set<string>());
    decoders.set(ffmpeg, known);
  }
  return known;
}

/** Why a CUDA device cannot be opened by this ffmpeg (driver missing, no GPU), or undefined when it can. */
function cudaDeviceProblem(ffmpeg: string): Promise<string | undefined> {
  let known = cudaDevices.get(ffmpeg);
  if (known) return known;
  known = run(
    ffmpeg,
    ['-hide_banner', '-v', 'error', '-init_hw_device', 'cuda', '-f', 'lavfi', '-i', 'nullsrc=s=32x32:d=0.04', '-frames:v', '1', '-f', 'null', '-'],
    { timeout: 20_000 },
  )
    .then(() => undefined)
    .catch((error: { stderr?: string; message: string }) => {
      const lines = (error.stderr ?? error.message).split('\n').map((l) => l.replace(/^\[[^\]]*\]\s*/, '').trim());
      const cause = lines.find((l) => l && !/^(Device creation failed|Failed to set value|Error parsing global options)/.test(l));
      return cause ?? 'no CUDA device';
    });
  cudaDevices.set(ffmpeg, known);
  return known;
}

/** Chooses the decoder for a request and a codec (ffprobe's codec name, e.g. h264, hevc). */
export async function chooseHwaccel(request: HwaccelRequest, codec: string): Promise<HwaccelChoice> {
  if (request === 'none') return {};
  const decoder = `${codec}_cuvid`;
  const ffmpeg = ffmpegPath();
  if (!(await ffmpegDecoders(ffmpeg)).has(decoder)) {
    return { reason: `this ffmpeg has no ${decoder}; set FFMPEG_PATH to one with NVDEC, such as Debian's` };
  }
  const problem = await cudaDeviceProblem(ffmpeg);
  return problem ? { reason: `no usable CUDA device: ${problem}` } : { decoder };
}

/**
 * The cuvid decoder's `-crop` (pixels off top, bottom, left, right) and `-resize` for a crop region:
 * NVDEC works on 4:2:0 surfaces, so each edge is moved to an even pixel. Returns the region that is
 * really kept, so source coordinates stay exact, and whether the decoder also does the resize.
 */
export function cuvidCropResize(source: Size, region: Rect, output: Size): { options: string[]; region: Rect; resized: boolean } {
  const even = (v: number) => 2 * Math.round(v / 2);
  const left = even(region.x);
  const top = even(region.y);
  const right = Math.max(0, even(source.width - region.x - region.width));
  const bottom = Math.max(0, even(source.height - region.y - region.height));
  const kept = { x: left, y: top, width: source.width - left - right, height: source.height - top - bottom };
  const options: string[] = [];
  if (left || top || right || bottom) options.push('-crop', `${top}x${bottom}x${left}x${right}`);
  // An odd output size cannot be a 4:2:0 surface: that resize is left to ffmpeg's scale filter.
  const resized = (output.width !== kept.width || output.height !== kept.height) && output.width % 2 === 0 && output.height % 2 === 0;
  if (resized) options.push('-resize', `${output.width}x${output.height}`);
  return { options, region: kept, resized };
}
