/**
 * `rovlens annotate <input>`: the heatmap of the element (or any head/class), the crop region, boxes
 * and labels rendered over the full frames, into an mp4, a folder of JPEGs and/or a contact sheet.
 * Full frames are decoded (for the picture) and centre-cropped and resized (for the model).
 */
import { parseFlags } from '../config/flags.js';
import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Option, type Command } from 'commander';
import { concatMap, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import sharp from 'sharp';
import { annotateSchema, type AnnotateOptions } from '../config/explain.js';
import { ExitCode, InputError, UsageError } from '../errors.js';
import { writeOutputFile } from '../sinks/row-file.js';
import { folderWriter, isVideoPath, videoWriter, type AnnotatedWriter } from '../explain/annotated-output.js';
import { renderAnnotated } from '../explain/render.js';
import { openWithCams } from '../model/add-cam-outputs.js';
import { DEVICES } from '../model/execution-providers.js';
import { HWACCELS } from '../sources/hwaccel.js';
import { cropResizeFrame } from '../operators/crop-resize.js';
import { gradCam } from '../operators/grad-cam.js';
import { infer } from '../operators/infer.js';
import { DEFAULT_MODEL } from '../paths.js';
import { timecode } from '../sinks/columns.js';
import { contactSheet, type ContactTile } from '../sinks/contact-sheet.js';
import { decodeVideo } from '../sources/ffmpeg.js';
import { FlowControl } from '../sources/flow-control.js';
import { IMAGE_EXTENSIONS, listImages, readImages } from '../sources/images.js';
import { checkInputFile, probeVideo } from '../sources/probe.js';
import type { Frame, FrameResult } from '../types.js';
import { joinNav } from '../operators/join-nav.js';
import { NavJoin } from '../telemetry/nav-join.js';
import { runAction } from './action.js';
import { navFlags } from './nav-flags.js';

/** The flag's help text and its default, both from the schema (commander is given no defaults of its own). */
function describe(key: keyof typeof annotateSchema.shape): string {
  const field = annotateSchema.shape[key] as unknown as { description?: string; def: { type: string; defaultValue?: unknown } };
  const fallback =
    field.def.type === 'default' && typeof field.def.defaultValue !== 'boolean' ? ` (default: ${String(field.def.defaultValue)})` : '';
  return `${field.description ?? ''}${fallback}`;
}

export function register(program: Command): void {
  const command = program
    .command('annotate')
    .description('render the heatmap, crop region, boxes and labels over the frames: a video, JPEGs, a contact sheet')
    .argument('<input>', 'a video file, an image, or a folder of images')
    .option('-o, --output <path>', describe('output'))
    .option('--contact-sheet <file.jpg>', describe('contactSheet'))
    .option('--every <seconds>', describe('every'))
    .option('--start <time>', describe('start'))
    .option('--end <time>', describe('end'))
    .option('--head <name>', describe('head'))
    .option('--class <label>', describe('class'))
    .option('--threshold <fraction>', describe('threshold'))
    .option('--otsu', describe('otsu'))
    .option('--max-boxes <n>', describe('maxBoxes'))
    .addOption(new Option('--fallback <method>', describe('fallback')).choices(['auto', 'score-cam', 'occlusion', 'none']))
    .addOption(new Option('--colormap <name>', describe('colormap')).choices(['turbo', 'viridis']))
    .option('--width <pixels>', describe('width'))
    .option('--fps <n>', describe('fps'))
    .option('--crop <WxH>', describe('crop'))
    .option('--model <path>', describe('model'))
    .addOption(new Option('--device <device>', describe('device')).choices(DEVICES))
    .addOption(new Option('--hwaccel <method>', describe('hwaccel')).choices(HWACCELS))
    .option('--batch <n>', describe('batch'))
    .option('--sheet-columns <n>', describe('sheetColumns'))
    .option('--sheet-tiles <n>', describe('sheetTiles'));
  for (const flag of navFlags(describe, false)) command.addOption(flag);
  command
    .option('-q, --quiet', describe('quiet'))
    .addHelpText(
      'after',
      `
Examples:
  rovlens annotate dive.mp4 -o dive-annotated.mp4 --every 2
  rovlens annotate dive.mp4 -o frames/ --start 00:10:00 --end 00:11:00 --contact-sheet dive.jpg
  rovlens annotate photos/ -o annotated/ --head floor --class reef --otsu
  rovlens annotate dive.mp4 -o dive-annotated.mp4 --nav dive-nav.csv   # position and depth on every picture

Exit codes: 0 ok, 2 usage, 3 input missing, 4 input not video/images, 5 model, 6 output, 130 interrupted.`,
    )
    .action(runAction(async (input: string, raw: Record<string, unknown>) => runAnnotate(input, parseAnnotateOptions(raw))));
}

export const parseAnnotateOptions = (raw: Record<string, unknown>): AnnotateOptions => parseFlags(annotateSchema, raw);

const isImagePath = (path: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(path).slice(1).toLowerCase());

function outputWriter(output: string | undefined, imagesIn: boolean, fps: number): AnnotatedWriter | undefined {
  if (output === undefined) return undefined;
  if (isVideoPath(output)) {
    if (imagesIn) throw new UsageError('-o: images of different sizes cannot go into one video; give a folder (ending in /)');
    return videoWriter(output, fps);
  }
  if (output.endsWith('/') || (existsSync(output) && statSync(output).isDirectory())) return folderWriter(output);
  throw new UsageError(`-o: '${output}' is neither a video (.mp4, .mkv, .mov) nor a folder (end it with /)`);
}

export async function runAnnotate(input: string, options: AnnotateOptions): Promise<number> {
  if (!existsSync(input)) throw new InputError(`input not found: ${input}`, 'missing');
  const imagesIn = statSync(input).isDirectory() || isImagePath(input);
  if (options.contactSheet !== undefined && !/\.jpe?g$/i.test(options.contactSheet))
    throw new UsageError('--contact-sheet: the sheet is a JPEG; name it .jpg');
  if (options.nav !== undefined && imagesIn)
    throw new UsageError('--nav: pictures have no timeline to join a navigation log to; give a video');
  let frames: Observable<Frame>;
  let withNav: MonoTypeOperatorFunction<FrameResult> = (results) => results;
  const flow = new FlowControl(Math.max(8, options.batch * 2));
  if (imagesIn) {
    frames = readImages(await listImages(input));
  } else {
    checkInputFile(input);
    const info = await probeVideo(input, { keyframes: false });
    const nav = NavJoin.open(options)?.forVideo(info);
    if (nav) withNav = joinNav(nav.log, nav);
    frames = decodeVideo(input, {
      info,
      everySeconds: options.every,
      startSeconds: options.start,
      endSeconds: options.end,
      flow,
      hwaccel: options.hwaccel,
    });
  }
  const modelPath = options.model ?? DEFAULT_MODEL;
  if (!options.model && !existsSync(DEFAULT_MODEL))
    throw new UsageError(`the bundled model is missing (${DEFAULT_MODEL}); pass --model <file.onnx>`);
  const model = await openWithCams(modelPath, { device: options.device, features: options.fallback === 'score-cam' });
  const writer = outputWriter(options.output, imagesIn, options.fps);
  const crop = options.crop ?? model.card.crop;
  const size = { width: model.card.input.width, height: model.card.input.height };
  const stem = basename(input, extname(input)) || 'frames';
  const tiles: ContactTile[] = [];
  // Full frames wait here while their model-sized copies go through inference.
  const fullFrames = new Map<string, Frame>();
  const key = (f: Frame) => `${f.sourceId}\u0000${f.index}`;
  const methods = new Set<string>();
  const started = performance.now();
  let interrupted = false;

  const results = frames.pipe(
    concatMap(async (full) => {
      fullFrames.set(key(full), full);
      return cropResizeFrame(full, crop, size);
    }),
    infer(model, { batchSize: options.batch }),
    gradCam({
      model,
      head: options.head,
      className: options.class,
      threshold: options.threshold,
      thresholdMethod: options.otsu ? 'otsu' : 'relative',
      maxBoxes: options.maxBoxes,
      fallback: options.fallback,
    }),
    withNav,
    concatMap(async (result: FrameResult) => {
      const full = fullFrames.get(key(result.frame)) ?? result.frame;
      fullFrames.delete(key(result.frame));
      const jpeg = await renderAnnotated(full, result, { colormap: options.colormap, maxWidthPixels: options.width });
      if (result.localisation) methods.add(result.localisation.method);
      const name = imagesIn
        ? `${String(result.frame.index).padStart(4, '0')}_${basename(result.frame.sourceId, extname(result.frame.sourceId))}.jpg`
        : `${stem}_${String(result.frame.index).padStart(6, '0')}_${result.frame.ptsSeconds.toFixed(3)}s.jpg`;
      await writer?.write(jpeg, name);
      if (options.contactSheet) {
        // Tiles are kept small; the sheet picks an even spread of them at the end.
        const image = await sharp(jpeg).resize({ width: 480 }).jpeg({ quality: 80 }).toBuffer();
        tiles.push({ image, caption: imagesIn ? basename(result.frame.sourceId) : timecode(result.frame.ptsSeconds) });
      }
      flow.done();
      return result;
    }),
  );

  const stop = () => {
    interrupted = true;
    subscription?.unsubscribe();
    finish?.();
  };
  let subscription: { unsubscribe(): void } | undefined;
  let finish: (() => void) | undefined;
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await new Promise<void>((resolve, reject) => {
      finish = resolve;
      subscription = results.subscribe({ error: reject, complete: resolve });
    });
    // Also after Ctrl-C: what was rendered so far becomes a playable file.
    await writer?.close();
  } catch (error) {
    writer?.abort();
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await model.close();
  }
  if (options.contactSheet && tiles.length) {
    const step = tiles.length / Math.min(options.sheetTiles, tiles.length);
    const picked = Array.from({ length: Math.min(options.sheetTiles, tiles.length) }, (_, i) => tiles[Math.floor(i * step)]!);
    const sheet = await contactSheet(picked, { columns: options.sheetColumns, tileWidth: 480 });
    writeOutputFile(options.contactSheet, sheet);
  }
  const count = writer?.written ?? tiles.length;
  if (count === 0 && !interrupted) throw new InputError(`${input}: no frames to annotate (check --start/--end)`);
  if (!options.quiet) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const where = [options.output, options.contactSheet].filter(Boolean).join(' and ');
    process.stderr.write(
      `rovlens: ${input}: ${count} frames annotated in ${seconds} s (heatmap: ${[...methods].join(', ') || 'none'}) -> ${where}\n`,
    );
  }
  return interrupted ? ExitCode.interrupted : ExitCode.ok;
}
