/** `rovlens annotate` as a user runs it: happy paths in-process, bad calls through the built CLI. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAnnotateOptions } from '../../src/commands/annotate.js';
import { runAnnotate } from '../../src/runners/annotate.js';
import { ffmpegPath, ffprobePath } from '../../src/sources/binaries.js';
import { decodeVideo } from '../../src/sources/ffmpeg.js';
import { describeWithData, sharedPath } from '../helpers/shared-data.js';
import { runCliSync } from '../helpers/cli.js';
import { SAMPLES } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const rovlens = runCliSync;

function probeFrames(path: string): { width: number; height: number; frames: number; codec: string } {
  const run = spawnSync(
    ffprobePath(),
    ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', path],
    { encoding: 'utf8' },
  );
  const s = JSON.parse(run.stdout).streams[0];
  return { width: s.width, height: s.height, frames: Number(s.nb_read_frames), codec: s.codec_name };
}

describe('rovlens annotate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-annotate-'));
  const tiny = writeTinyModel(join(dir, 'model'), { size: 64 });
  const plain = writeTinyModel(join(dir, 'plain'), { withCams: false });
  const clip = join(dir, 'clip.mp4');
  const images = join(dir, 'images');

  beforeAll(async () => {
    // 2 s of ffmpeg's test pattern at 320x180, 10 frames/s.
    const made = spawnSync(ffmpegPath(), [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x180:rate=10:duration=2',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      '-y',
      clip,
    ]);
    expect(made.status).toBe(0);
    mkdirSync(images);
    await sharp({ create: { width: 200, height: 150, channels: 3, background: { r: 20, g: 20, b: 20 } } })
      .composite([
        { input: { create: { width: 40, height: 40, channels: 3, background: { r: 240, g: 240, b: 240 } } }, left: 100, top: 30 },
      ])
      .jpeg()
      .toFile(join(images, 'a.jpg'));
    await sharp({ create: { width: 160, height: 160, channels: 3, background: { r: 30, g: 200, b: 30 } } })
      .png()
      .toFile(join(images, 'b.png'));
  });

  it('writes an H.264 video with one annotated frame per sampled instant, and a contact sheet', async () => {
    const out = join(dir, 'out.mp4');
    const sheet = join(dir, 'sheet.jpg');
    const code = await runAnnotate(
      clip,
      parseAnnotateOptions({ output: out, contactSheet: sheet, model: tiny.modelPath, every: '0.5', quiet: true }),
    );
    expect(code).toBe(0);
    const video = probeFrames(out);
    expect(video).toEqual({ codec: 'h264', width: 480, height: 270, frames: 4 }); // 320 px wide is scaled up to the 480 px minimum
    const meta = await sharp(sheet).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThan(4 * 480); // four tiles in a row
  });

  it('writes a folder of JPEGs named by frame and time, within --start/--end', async () => {
    const out = join(dir, 'frames') + '/';
    await runAnnotate(
      clip,
      parseAnnotateOptions({ output: out, model: tiny.modelPath, every: '0.5', start: '0.5', end: '1.5', quiet: true }),
    );
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^clip_\d{6}_0\.500s\.jpg$/);
    expect(files[1]).toMatch(/^clip_\d{6}_1\.000s\.jpg$/);
    expect((await sharp(join(out, files[0]!)).metadata()).width).toBe(480);
  });

  it('annotates a folder of images with a model exported without CAM outputs, adding them to its graph', () => {
    const out = join(dir, 'annotated') + '/';
    const run = rovlens('annotate', images, '-o', out, '--model', plain.modelPath);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/added exact Grad-CAM outputs for head floor, element/);
    expect(run.stderr).toMatch(/2 frames annotated .*\(heatmap: gradcam\)/);
    expect(readdirSync(out).sort()).toEqual(['0000_a.jpg', '0001_b.jpg']);
  });

  it('uses occlusion when asked to, and says what it costs', () => {
    const out = join(dir, 'occluded') + '/';
    const run = rovlens('annotate', images, '-o', out, '--model', tiny.modelPath, '--fallback', 'occlusion');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/heatmaps by occlusion, as asked \(37 forward passes per frame\)/);
    expect(run.stderr).toMatch(/2 frames annotated .*\(heatmap: occlusion\)/);
  });

  it('uses Score-CAM when asked to, and says what it costs', () => {
    const out = join(dir, 'score-cam') + '/';
    const run = rovlens('annotate', images, '-o', out, '--model', tiny.modelPath, '--fallback', 'score-cam');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/heatmaps by score-cam, as asked \(\d+ forward passes per frame\)/);
    expect(run.stderr).toMatch(/2 frames annotated .*\(heatmap: score-cam\)/);
    expect(readdirSync(out)).toHaveLength(2);
  });

  it('picks Score-CAM by itself for a head that pools but is not one linear layer', () => {
    const mlp = writeTinyModel(join(dir, 'mlp'), { withCams: false, elementRelu: true });
    const out = join(dir, 'mlp-out') + '/';
    const run = rovlens('annotate', images, '-o', out, '--model', mlp.modelPath);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/head element pools a feature map but is not one linear layer; heatmaps by Score-CAM/);
    expect(run.stderr).toMatch(/no CAM output for head 'element'; using score-cam \(\d+ forward passes per frame\)/);
    expect(run.stderr).toMatch(/2 frames annotated .*\(heatmap: score-cam\)/);
  });

  it('writes where the vehicle was on each picture with a navigation log, and refuses one for pictures', async () => {
    const log = join(SAMPLES, 'seafloor-sd-nav.csv');
    const render = async (name: string, nav: Record<string, string>) => {
      const out = join(dir, name) + '/';
      const options = { output: out, model: tiny.modelPath, every: '1', start: '1', end: '1.5', quiet: true, ...nav };
      expect(await runAnnotate(clip, parseAnnotateOptions(options))).toBe(0);
      const [file] = readdirSync(out);
      return sharp(join(out, file!)).raw().toBuffer({ resolveWithObject: true });
    };
    const plainPicture = await render('no-nav', {});
    const withNav = await render('nav', { nav: log, videoStart: '2026-05-14T09:30:00Z' });
    // The label panel (bottom left) grows by the log's lines; the picture above it is the same.
    const { width, height } = plainPicture.info;
    const firstDifferentRow = [...Array(height).keys()].find((y) =>
      plainPicture.data.subarray(y * width * 3, (y + 1) * width * 3).some((v, x) => v !== withNav.data[y * width * 3 + x]),
    );
    expect(firstDifferentRow).toBeGreaterThan(height * 0.4);
    const refused = rovlens('annotate', images, '-o', join(dir, 'nav-images') + '/', '--model', tiny.modelPath, '--nav', log);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe('rovlens: --nav: pictures have no timeline to join a navigation log to; give a video');
  });

  it('refuses a missing input with one line and exit code 3', () => {
    const run = rovlens('annotate', join(dir, 'nope.mp4'), '-o', join(dir, 'x.mp4'), '--model', tiny.modelPath);
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toEqual([`rovlens: input not found: ${join(dir, 'nope.mp4')}`]);
  });

  it('refuses a file that is not video with one line and exit code 4', () => {
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, 'not a video at all');
    const run = rovlens('annotate', junk, '-o', join(dir, 'x.mp4'), '--model', tiny.modelPath);
    expect(run.code).toBe(4);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^rovlens: cannot read .*junk\.mp4 as video/);
  });

  it('refuses an output that is neither a video nor a folder, and a threshold out of range, with exit code 2', () => {
    const badOut = rovlens('annotate', clip, '-o', join(dir, 'out.txt'), '--model', tiny.modelPath);
    expect(badOut.code).toBe(2);
    expect(badOut.stderr).toMatch(/is neither a video \(\.mp4, \.mkv, \.mov\) nor a folder/);
    const badThreshold = rovlens('annotate', clip, '-o', join(dir, 'y.mp4'), '--threshold', '2');
    expect(badThreshold.code).toBe(2);
    expect(badThreshold.stderr.trim().split('\n')).toEqual(["rovlens: --threshold: must be a number above 0 and at most 1, got '2'"]);
  });

  it('refuses an unknown class with the list of the head’s classes and exit code 2', () => {
    const run = rovlens('annotate', clip, '-o', join(dir, 'z/'), '--model', tiny.modelPath, '--class', 'whale');
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      "rovlens: no class 'whale' in head 'element' (classes: ripples, fauna, algae, waste, rocks, or 'predicted')",
    );
  });
});

describeWithData('rovlens annotate on real ROV footage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-annotate-real-'));
  const tiny = writeTinyModel(join(dir, 'model'), { size: 128 });

  it('renders full 1080p frames of a real clip, dimming what lies outside the crop the model saw', async () => {
    const clip = sharedPath('clips', 'p6_crab_1080p.mp4');
    const out = join(dir, 'frames') + '/';
    const code = await runAnnotate(
      clip,
      parseAnnotateOptions({ output: out, model: tiny.modelPath, start: '2', end: '4', every: '1', quiet: true }),
    );
    expect(code).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    const { data, info } = await sharp(join(out, files[0]!)).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([1920, 1080]);
    // The 0.67 crop leaves 317 px on each side, dimmed by 35 %: compare with the decoded source frame.
    const source = await firstValueFrom(decodeVideo(clip, { startSeconds: 2, endSeconds: 3 }));
    const meanOf = (pixels: ArrayLike<number>, x0: number, x1: number) => {
      let sum = 0;
      let n = 0;
      for (let y = 0; y < 900; y += 4) for (let x = x0; x < x1; x += 4) ((sum += pixels[(y * 1920 + x) * 3 + 1]!), n++);
      return sum / n;
    };
    expect(meanOf(data, 0, 300) / meanOf(source.pixels, 0, 300)).toBeCloseTo(0.65, 1);
    expect(meanOf(data, 1620, 1920) / meanOf(source.pixels, 1620, 1920)).toBeCloseTo(0.65, 1);
  });
});
