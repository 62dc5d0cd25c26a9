import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { SAMPLES, tmpFile } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const SD = join(SAMPLES, 'seafloor-sd.mp4');

describe('rovlens timeline --device / --hwaccel on a machine without a usable GPU', () => {
  let model: string;
  let plain: string;
  beforeAll(async () => {
    model = writeTinyModel(tmpFile('hardware-model')).modelPath;
    const run = await runCli(['timeline', SD, '--model', model, '--every', '2', '-q']);
    expect(run.code).toBe(0);
    plain = run.stdout;
  });

  it('--device auto says in one line where the model runs and why the GPU providers did not load, with the same rows', async () => {
    const run = await runCli(['timeline', SD, '--model', model, '--every', '2', '-q', '--device', 'auto']);
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rovlens: running the model on (cpu \(cuda: .+; webgpu: .+\)|cuda|webgpu)/);
    if (lines[0]!.includes('on cpu')) expect(run.stdout).toBe(plain);
  });

  it('--hwaccel cuda with the bundled ffmpeg decodes in software after one line, with the same rows', async () => {
    const run = await runCli(['timeline', SD, '--model', model, '--every', '2', '-q', '--hwaccel', 'cuda'], { env: { FFMPEG_PATH: '' } });
    expect(run.code).toBe(0);
    expect(run.stderr.trim()).toMatch(
      /^rovlens: hardware decoding unavailable \(this ffmpeg has no h264_cuvid; .+\); decoding in software$/,
    );
    expect(run.stdout).toBe(plain);
  });

  it.runIf(existsSync('/usr/bin/ffmpeg'))(
    "--hwaccel auto with Debian's ffmpeg (NVDEC built in) names the missing device and decodes in software",
    async () => {
      const run = await runCli(['timeline', SD, '--model', model, '--every', '2', '-q', '--hwaccel', 'auto'], {
        env: { FFMPEG_PATH: '/usr/bin/ffmpeg' },
      });
      expect(run.code).toBe(0);
      if (run.stderr.trim() === '') return; // this machine has an NVIDIA GPU and decoded with NVDEC
      expect(run.stderr.trim()).toMatch(/^rovlens: hardware decoding unavailable \(no usable CUDA device: .+\); decoding in software$/);
      expect(run.stdout).toBe(plain);
    },
  );

  it('refuses a device it does not know, listing the choices', async () => {
    const run = await runCli(['timeline', SD, '--model', model, '--device', 'tpu']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("rovlens: --device: must be one of auto, cpu, cuda, webgpu, got 'tpu'");
  });
});
