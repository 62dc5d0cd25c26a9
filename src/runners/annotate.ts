/**
 * One `rovlens annotate` run: the input's frames (a video, decoded whole, or pictures), the annotate
 * pipeline (pipelines/annotate.ts), and the sinks: pictures drawn and written to a video or a folder,
 * a contact sheet; with flow control, Ctrl-C (what was drawn stays playable) and a summary line.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { concatMap, type Observable } from 'rxjs';
import sharp from 'sharp';
import type { AnnotateOptions } from '../config/explain.js';
import { DecodeError, ExitCode, InputError, UsageError } from '../errors.js';
import { DEFAULT_MODEL } from '../paths.js';
import { renderAnnotated } from '../explain/render.js';
import { openWithCams } from '../model-building/add-cam-outputs.js';
import { modelOrBundled } from '../model/bundled.js';
import { loadModelCard } from '../model/card.js';
import { checkCamTargets } from '../operators/grad-cam.js';
import { heatmapReliability, heatmapsOn, reliabilityMark } from '../model/heatmap-reliability.js';
import { overlayMaskers, writeOverlayMask } from '../overlay/mask-file.js';
import { overlaySummary } from '../overlay/masker.js';
import { folderWriter, isVideoPath, videoWriter, type AnnotatedWriter } from '../sinks/annotated-output.js';
import { contactSheet, type ContactTile } from '../sinks/contact-sheet.js';
import { writeOutputFile } from '../sinks/row-file.js';
import { decodeVideo, type DecodeStats } from '../sources/ffmpeg.js';
import { FlowControl } from '../sources/flow-control.js';
import { IMAGE_EXTENSIONS, listImages, readImages } from '../sources/images.js';
import { checkInputFile, probeVideo } from '../sources/probe.js';
import { timecode } from '../timecode.js';
import type { Frame } from '../types.js';
import { annotatePipeline, type AnnotateContext, type AnnotatedResult, type AnnotateStages } from '../../pipelines/annotate.js';
import { NavJoin } from './nav-join.js';
import { checkOutputPlan, modelInputs } from './output-plan.js';
import { decodeStart, startBeforeLoad, type EarlyStart } from './start-up.js';

/** Each stage's options from the command's; `heatmap` false leaves the Grad-CAM stage out. */
export function annotateStages(options: AnnotateOptions, heatmap = true): AnnotateStages {
  return {
    ...(options.crop ? { crop: options.crop } : {}),
    infer: { batchSize: options.batch },
    gradCam: heatmap && {
      head: options.head,
      className: options.class,
      threshold: options.threshold,
      thresholdMethod: options.otsu ? 'otsu' : 'relative',
      maxBoxes: options.maxBoxes,
      fallback: options.fallback,
    },
  };
}

const isImagePath = (path: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(path).slice(1).toLowerCase());

/** What -o names: a video file or a folder of JPEGs; said before anything starts. */
function outputKind(output: string, imagesIn: boolean): 'video' | 'folder' {
  if (isVideoPath(output)) {
    if (imagesIn) throw new UsageError('-o: images of different sizes cannot go into one video; give a folder (ending in /)');
    return 'video';
  }
  if (output.endsWith('/') || (existsSync(output) && statSync(output).isDirectory())) return 'folder';
  throw new UsageError(`-o: '${output}' is neither a video (.mp4, .mkv, .mov) nor a folder (end it with /)`);
}

function outputWriter(output: string | undefined, imagesIn: boolean, fps: number): AnnotatedWriter | undefined {
  if (output === undefined) return undefined;
  return outputKind(output, imagesIn) === 'video' ? videoWriter(output, fps) : folderWriter(output);
}

export async function runAnnotate(input: string, options: AnnotateOptions): Promise<number> {
  if (!existsSync(input)) throw new InputError(`input not found: ${input}`, 'missing');
  const imagesIn = statSync(input).isDirectory() || isImagePath(input);
  if (options.contactSheet !== undefined && !/\.jpe?g$/i.test(options.contactSheet))
    throw new UsageError('--contact-sheet: the sheet is a JPEG; name it .jpg');
  if (options.nav !== undefined && imagesIn)
    throw new UsageError('--nav: pictures have no timeline to join a navigation log to; give a video');
  if (options.saveOverlayMask !== undefined && options.overlayMask === 'off')
    throw new UsageError('--save-overlay-mask: there is no mask with --overlay-mask off');
  const kind = options.output === undefined ? undefined : outputKind(options.output, imagesIn);
  // Said before decoding: an output that is an input or another output, or cannot be written.
  checkOutputPlan(
    [
      { flag: 'input', path: input },
      ...(options.nav !== undefined ? [{ flag: '--nav', path: options.nav }] : []),
      ...modelInputs(options.model ?? DEFAULT_MODEL),
    ],
    [
      ...(options.output !== undefined ? [{ flag: '-o', path: options.output, kind: kind === 'video' ? ('file' as const) : ('folder' as const) }] : []),
      ...(options.contactSheet !== undefined ? [{ flag: '--contact-sheet', path: options.contactSheet, kind: 'file' as const }] : []),
    ],
  );
  // A head or class the model lacks is said from its card, before any decoding or model loading.
  checkCamTargets(loadModelCard(modelOrBundled(options.model)).card, [{ head: options.head, className: options.class ?? 'predicted' }]);
  // Pictures in a folder are not one recording: nothing stays still across them while a scene moves,
  // so 'auto' estimates nothing there; a mask picture still applies.
  const overlaySetting = imagesIn && options.overlayMask === 'auto' ? 'off' : options.overlayMask;
  const overlay = (await overlayMaskers(overlaySetting, { refresh: 'once' }))?.();
  let frames: Observable<Frame>;
  let decodeStarted: Promise<void> | undefined;
  let nav: AnnotateContext['nav'];
  const decode: { stats?: DecodeStats } = {};
  // The overlay masker holds a window of frames back for its first estimate: room for them too.
  const flow = new FlowControl(Math.max(8, options.batch * 2) + (overlay ? overlay.windowFrames : 0));
  if (imagesIn) {
    frames = readImages(await listImages(input));
  } else {
    checkInputFile(input);
    const info = await probeVideo(input, { keyframes: false });
    nav = NavJoin.open(options)?.forVideo(info);
    const start = decodeStart();
    decodeStarted = start.started;
    frames = decodeVideo(input, {
      info,
      everySeconds: options.every,
      startSeconds: options.start,
      endSeconds: options.end,
      flow,
      hwaccel: options.hwaccel,
      truncation: options.allowTruncated ? 'warn' : 'error',
      onStart: start.onStart,
      onEnd: (stats) => (decode.stats = stats),
    });
  }
  const modelPath = modelOrBundled(options.model);
  // The card and graph now; the session once ffmpeg decodes (startBeforeLoad, below).
  const model = await openWithCams(modelPath, { device: options.device, features: options.fallback === 'score-cam', deferLoad: true });
  // The element heatmap is drawn only where the card does not say it points worse than the centre.
  const reliability = options.head === 'element' ? heatmapReliability(model.card) : undefined;
  const drawHeatmap = heatmapsOn(options.heatmap, reliability);
  const heatmapNote = reliability && !reliability.reliable ? reliabilityMark(reliability) : undefined;
  const stem = basename(input, extname(input)) || 'frames';
  const tiles: ContactTile[] = [];
  const methods = new Set<string>();
  const started = performance.now();
  let interrupted = false;

  // Start-up overlapped, as timeline's: decoding starts, then the session is created while ffmpeg
  // decodes. A model that cannot load stops here, before any output opens, with no ffmpeg behind.
  let early: EarlyStart<AnnotatedResult>;
  try {
    early = await startBeforeLoad(
      annotatePipeline({ frames, model, stages: annotateStages(options, drawHeatmap), nav, overlay }),
      model,
      decodeStarted,
    );
  } catch (error) {
    await model.close();
    throw error;
  }
  const results = early.output.pipe(
    // The sinks: the picture drawn, written to the video or folder, and kept for the contact sheet.
    concatMap(async ({ result, full }) => {
      const jpeg = await renderAnnotated(full, result, { colormap: options.colormap, maxWidthPixels: options.width, heatmapNote });
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
  // The encoder starts last, once the pipeline is built: an early error leaves no ffmpeg behind.
  let writer: AnnotatedWriter | undefined;
  try {
    writer = outputWriter(options.output, imagesIn, options.fps);
  } catch (error) {
    early.cancel();
    await model.close();
    throw error;
  }
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
    // Decoding stopped part-way (a truncated file): what was rendered is finished, then exit 7.
    if (error instanceof DecodeError && writer?.written) await writer.close();
    else writer?.abort();
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
  if (options.saveOverlayMask !== undefined && overlay?.current && overlay.sourceSize)
    await writeOverlayMask(options.saveOverlayMask, overlay.current.mask, overlay.sourceSize);
  const count = writer?.written ?? tiles.length;
  if (count === 0 && !interrupted) throw new InputError(`${input}: no frames to annotate (check --start/--end)`);
  if (!options.quiet) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const where = [options.output, options.contactSheet].filter(Boolean).join(' and ');
    const masked = overlay ? `; ${overlaySummary(overlay, options.overlayMask)}` : '';
    const heatmap = drawHeatmap
      ? `${[...methods].join(', ') || 'none'}${heatmapNote ? `, ${heatmapNote}` : ''}`
      : `off, ${heatmapNote}; --heatmap draws it`;
    const corrupt = decode.stats?.corruptPackets
      ? `; ${decode.stats.corruptPackets} decoder errors concealed (last: ${decode.stats.lastError})`
      : '';
    process.stderr.write(`rovlens: ${input}: ${count} frames annotated in ${seconds} s (heatmap: ${heatmap}${masked}${corrupt}) -> ${where}\n`);
  }
  return interrupted ? ExitCode.interrupted : ExitCode.ok;
}
