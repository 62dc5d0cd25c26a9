import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devicesToTry, hasVulkanDriver, missingProvider } from '../../src/model/execution-providers.js';
import { ModelSession } from '../../src/model/session.js';
import { TINY_SIZE, writeTinyModel } from '../helpers/tiny-model.js';

describe('devicesToTry', () => {
  it('tries CUDA, then WebGPU, then the CPU for auto, and falls back from a named GPU to the CPU', () => {
    expect(devicesToTry('auto')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(devicesToTry('cuda')).toEqual(['cuda', 'cpu']);
    expect(devicesToTry('webgpu')).toEqual(['webgpu', 'cpu']);
    expect(devicesToTry('cpu')).toEqual(['cpu']);
  });
});

describe('hasVulkanDriver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-vk-'));

  it('takes an explicit driver list at its word: a listed file that exists counts, a missing one does not', () => {
    const icd = join(dir, 'nvidia_icd.json');
    writeFileSync(icd, '{}');
    expect(hasVulkanDriver({ VK_DRIVER_FILES: icd })).toBe(true);
    expect(hasVulkanDriver({ VK_DRIVER_FILES: join(dir, 'absent.json') })).toBe(false);
  });

  it('finds a driver manifest in a data folder of XDG_DATA_DIRS', () => {
    mkdirSync(join(dir, 'share', 'vulkan', 'icd.d'), { recursive: true });
    writeFileSync(join(dir, 'share', 'vulkan', 'icd.d', 'lvp_icd.x86_64.json'), '{}');
    expect(hasVulkanDriver({ XDG_DATA_DIRS: join(dir, 'share') })).toBe(true);
  });
});

describe('ModelSession on a requested device', () => {
  const { modelPath } = writeTinyModel(mkdtempSync(join(tmpdir(), 'rovlens-ep-')));
  const input = new Float32Array(3 * TINY_SIZE * TINY_SIZE).map((_, i) => (i % 97) / 97);
  const dims: [number, number, number, number] = [1, 3, TINY_SIZE, TINY_SIZE];

  it('auto runs where it can, says where in one line with why each GPU provider did not load, and answers as the CPU does', async () => {
    const lines: string[] = [];
    const auto = await ModelSession.open(modelPath, { device: 'auto', notice: (line) => lines.push(line) });
    const cpu = await ModelSession.open(modelPath, { device: 'cpu', notice: (line) => lines.push(`cpu: ${line}`) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^rovlens: running the model on ${auto.device}`));
    // On a machine without the CUDA libraries, each refused provider is named with its reason.
    if (missingProvider('cuda')) expect(lines[0]).toMatch(/cuda: its provider libraries are not installed/);
    if (auto.device === 'cpu') expect(lines[0]).toMatch(/webgpu: /);
    const [a, c] = await Promise.all([auto.run(input, dims), cpu.run(input, dims)]);
    for (const name of Object.keys(c)) {
      const tolerance = auto.device === 'cpu' ? 0 : 1e-3;
      a[name]!.data.forEach((v, i) => expect(Math.abs(v - c[name]!.data[i]!)).toBeLessThanOrEqual(tolerance));
    }
    await Promise.all([auto.close(), cpu.close()]);
  });

  it('a named GPU that cannot load falls back to the CPU with one line naming it', async () => {
    if (!missingProvider('cuda')) return; // a machine with the CUDA libraries runs on the GPU instead
    const lines: string[] = [];
    const session = await ModelSession.open(modelPath, { device: 'cuda', notice: (line) => lines.push(line) });
    expect(session.device).toBe('cpu');
    expect(lines).toEqual([expect.stringMatching(/^rovlens: CUDA is not available \(.+\); running on CPU$/)]);
    await session.close();
  });

  it('the CPU says nothing', async () => {
    const lines: string[] = [];
    const session = await ModelSession.open(modelPath, { notice: (line) => lines.push(line) });
    expect(session.device).toBe('cpu');
    expect(lines).toEqual([]);
    await session.close();
  });
});
