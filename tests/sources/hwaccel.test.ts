import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { filterChain } from '../../src/sources/ffmpeg.js';
import { chooseHwaccel, cuvidCropResize } from '../../src/sources/hwaccel.js';

describe('cuvidCropResize', () => {
  it("moves the relative crop's edges to even pixels, keeps the region it really crops, and resizes in the decoder", () => {
    // 67 % of 1920 is 1286.4 wide: the exact crop keeps x 317..1602; NVDEC crops 318 px off each side.
    const { options, region, resized } = cuvidCropResize(
      { width: 1920, height: 1080 },
      { x: 317, y: 0, width: 1286, height: 1080 },
      { width: 224, height: 224 },
    );
    expect(options).toEqual(['-crop', '0x0x318x318', '-resize', '224x224']);
    expect(region).toEqual({ x: 318, y: 0, width: 1284, height: 1080 });
    expect(resized).toBe(true);
  });

  it('leaves an odd output size to the scale filter and asks nothing of an uncropped, unscaled picture', () => {
    expect(cuvidCropResize({ width: 640, height: 360 }, { x: 0, y: 0, width: 640, height: 360 }, { width: 425, height: 239 })).toEqual({
      options: [],
      region: { x: 0, y: 0, width: 640, height: 360 },
      resized: false,
    });
  });
});

describe('filterChain with an NVDEC decoder', () => {
  it('keeps sampling and timestamps in the filters and moves crop and resize into the decoder', () => {
    const options = { everySeconds: 1, crop: { widthFraction: 0.67, heightFraction: 1 }, outputSize: { width: 224, height: 224 } };
    const software = filterChain({ width: 3840, height: 2160 }, options);
    const hardware = filterChain({ width: 3840, height: 2160 }, options, 'hevc_cuvid');
    expect(software.decoderOptions).toEqual([]);
    expect(software.filters.some((f) => f.startsWith('crop='))).toBe(true);
    expect(hardware.filters).toEqual([software.filters[0], 'showinfo']);
    expect(hardware.decoderOptions.slice(0, 3)).toEqual(['-c:v', 'hevc_cuvid', '-crop']);
    // The kept region differs from the exact crop by at most one pixel per edge.
    expect(Math.abs(hardware.region.x - software.region.x)).toBeLessThanOrEqual(1);
    expect(Math.abs(hardware.region.width - software.region.width)).toBeLessThanOrEqual(2);
  });
});

describe('chooseHwaccel', () => {
  it('decodes in software when asked to, without asking ffmpeg anything', async () => {
    expect(await chooseHwaccel('none', 'h264')).toEqual({});
  });

  it("says why the bundled ffmpeg cannot decode on the GPU: it has no cuvid decoders", async () => {
    const choice = await chooseHwaccel('cuda', 'h264');
    if (process.env.FFMPEG_PATH) return; // another ffmpeg was chosen for this run
    expect(choice).toEqual({ reason: expect.stringMatching(/this ffmpeg has no h264_cuvid; set FFMPEG_PATH/) });
  });

  it.runIf(existsSync('/usr/bin/ffmpeg'))("with Debian's ffmpeg, names what stops the CUDA device (no driver on this machine) or chooses NVDEC", async () => {
    const previous = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = '/usr/bin/ffmpeg';
    try {
      const choice = await chooseHwaccel('auto', 'hevc');
      if (choice.decoder) expect(choice.decoder).toBe('hevc_cuvid');
      else expect(choice.reason).toMatch(/^no usable CUDA device: \S/);
    } finally {
      if (previous === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = previous;
    }
  });
});
