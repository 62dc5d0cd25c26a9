/**
 * Which ONNX Runtime execution provider can run here, asked cheaply before a session is tried.
 *
 * onnxruntime-node bundles the CPU and WebGPU providers; the CUDA provider's libraries are not in the
 * npm package (its install script fetches them, which an offline install skips). Trying a provider that
 * cannot load costs little, but WebGPU's Dawn prints driver warnings straight to stderr, so the plain
 * absences (no CUDA libraries, no Vulkan driver) are found here first and reported as one reason.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DeviceRequest } from '../config/hardware.js';

export type { DeviceRequest } from '../config/hardware.js';
/** Where a session actually runs. */
export type Device = Exclude<DeviceRequest, 'auto'>;

/** The providers to try for a request, best first; the CPU always ends the list. */
export function devicesToTry(request: DeviceRequest): Device[] {
  if (request === 'auto') return ['cuda', 'webgpu', 'cpu'];
  return request === 'cpu' ? ['cpu'] : [request, 'cpu'];
}

/** The folder of onnxruntime-node's native binding, where provider libraries must sit. */
export function ortBindingFolder(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Why a provider certainly cannot load here, or undefined when it is worth trying. */
export function missingProvider(device: Device, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (device === 'cuda') {
    if (process.platform !== 'linux' && process.platform !== 'win32') return `no CUDA build of ONNX Runtime for ${process.platform}`;
    const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    if (!existsSync(join(ortBindingFolder(), library))) {
      return 'its provider libraries are not installed: see docs/gpu.md';
    }
  }
  if (device === 'webgpu' && process.platform === 'linux' && !hasVulkanDriver(env)) {
    return 'no Vulkan driver found';
  }
  return undefined;
}

/** Vulkan's loader finds drivers through ICD manifests: an explicit list, or the standard folders. */
export function hasVulkanDriver(env: NodeJS.ProcessEnv = process.env): boolean {
  const explicit = (env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES ?? '').split(':').filter(Boolean);
  if (explicit.length) return explicit.some((file) => existsSync(file));
  const folders = [
    ...(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':').map((d) => join(d, 'vulkan', 'icd.d')),
    '/etc/vulkan/icd.d',
    '/usr/local/nvidia/share/vulkan/icd.d',
  ];
  return folders.some((folder) => {
    try {
      return readdirSync(folder).some((name) => name.endsWith('.json'));
    } catch {
      return false;
    }
  });
}
