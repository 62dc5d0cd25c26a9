/** Where the model runs and how video is decoded: one definition for every command that has the flags. */
import { z } from 'zod';

/** Execution providers a run may ask for; auto tries the GPU ones first. */
export const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type DeviceRequest = (typeof DEVICES)[number];

/** Hardware decoding methods: cuda is NVIDIA's NVDEC. */
export const HWACCELS = ['auto', 'none', 'cuda'] as const;
export type HwaccelRequest = (typeof HWACCELS)[number];

export const deviceSchema = z
  .enum(DEVICES)
  .default('cpu')
  .describe('where the model runs: auto tries cuda, then webgpu, then cpu; a GPU that cannot load falls back to cpu with one line');

export const hwaccelSchema = z
  .enum(HWACCELS)
  .default('none')
  .describe('hardware decoding: cuda (NVDEC: decode, crop and resize on the GPU) needs an ffmpeg that has it (FFMPEG_PATH); falls back to software with one line');
