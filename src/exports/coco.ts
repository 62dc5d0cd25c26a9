/**
 * COCO (object detection) with the KWCOCO video extension: `videos` (one per input, with its fps),
 * `images` = the sampled frames (each with its video, its frame number in the stream and its time),
 * `annotations` = element boxes with the model's `score`, `categories` = the model's labels (each head
 * a supercategory). Whole-frame labels are image attributes. With `--frames` each image is extracted
 * as a JPEG into a folder beside the JSON; otherwise it is named `<video>#t=<seconds>` (a media
 * fragment), which tools resolve against the video.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { OutputError } from '../errors.js';
import { ffmpegPath } from '../sources/binaries.js';
import { boxesOf, headsOf, type ExportVideo } from './export-video.js';
import { rovlensVersion } from './run-file.js';

const run = promisify(execFile);

export interface CocoOptions {
  /** Folder the frames are extracted into (JPEG), or undefined for `<video>#t=<seconds>` names. */
  framesFolder?: string;
  /** The JSON file's folder: image file names are relative to it. */
  jsonFolder: string;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

export async function cocoJson(videos: readonly ExportVideo[], options: CocoOptions): Promise<string> {
  const categories: { id: number; name: string; supercategory: string }[] = [];
  const categoryId = new Map<string, number>();
  for (const video of videos) {
    for (const [head, labels] of Object.entries(video.run.header.model.heads)) {
      for (const label of labels) {
        const key = `${head}:${label}`;
        if (categoryId.has(key)) continue;
        categoryId.set(key, categories.length + 1);
        categories.push({ id: categories.length + 1, name: label, supercategory: head });
      }
    }
  }
  const images: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  const cocoVideos: Record<string, unknown>[] = [];
  for (const [v, video] of videos.entries()) {
    const videoId = v + 1;
    cocoVideos.push({ id: videoId, name: video.name, width: video.width, height: video.height, annotation_fps: video.fps });
    const stem = basename(video.name, extname(video.name));
    const names = video.frames.map(({ frame }) => `${stem}_frame${String(frame).padStart(7, '0')}.jpg`);
    if (options.framesFolder) await extractFrames(video, options.framesFolder, names);
    for (const [i, { record, frame, seconds }] of video.frames.entries()) {
      const imageId = images.length + 1;
      const fileName = options.framesFolder
        ? relative(options.jsonFolder, join(options.framesFolder, names[i]!))
        : `${video.name}#t=${seconds.toFixed(3)}`;
      const attributes: Record<string, string | number | boolean> = {};
      for (const head of headsOf(video)) {
        const p = record.heads[head];
        if (!p) continue;
        attributes[head] = p.label;
        attributes[`${head}_confidence`] = round(p.confidence);
      }
      images.push({
        id: imageId,
        file_name: fileName,
        width: video.width,
        height: video.height,
        video_id: videoId,
        frame_index: frame,
        timestamp: seconds,
        ...(record.nav?.time ? { datetime: record.nav.time } : {}),
        attributes,
      });
      for (const { target, localisation } of boxesOf(record)) {
        const score = record.heads[localisation.head]?.probabilities[localisation.label];
        for (const box of localisation.boxes) {
          annotations.push({
            id: annotations.length + 1,
            image_id: imageId,
            category_id: categoryId.get(`${localisation.head}:${localisation.label}`),
            bbox: [box.x, box.y, box.width, box.height],
            area: box.width * box.height,
            iscrowd: 0,
            segmentation: [],
            score: score === undefined ? undefined : round(score),
            attributes: { cam_target: target, cam_method: localisation.method },
          });
        }
      }
    }
  }
  const info = {
    description: `rovlens ${rovlensVersion()} model ${videos[0]?.run.header.model.name ?? ''}`,
    version: rovlensVersion(),
    date_created: new Date().toISOString(),
  };
  return `${JSON.stringify({ info, licenses: [], videos: cocoVideos, images, annotations, categories })}\n`;
}

/** One JPEG per sampled frame, picked by the stream's frame number (exact on variable frame rate too). */
async function extractFrames(video: ExportVideo, folder: string, names: readonly string[]): Promise<void> {
  if (!video.frames.length) return;
  mkdirSync(folder, { recursive: true });
  const wanted = video.frames.map((f) => f.frame);
  // Selected by n (the decoded frame's number), so frame numbers and pictures cannot drift apart. The
  // filter goes through a file: hours of samples make an expression longer than one argument may be.
  const script = join(folder, `.rovlens-${process.pid}-select.txt`);
  writeFileSync(script, `select='${wanted.map((n) => `eq(n\\,${n})`).join('+')}'`);
  const pattern = join(folder, `.rovlens-${process.pid}-%07d.jpg`);
  try {
    await run(
      ffmpegPath(),
      ['-v', 'error', '-nostdin', '-y', '-i', video.path!, '-an', '-sn', '-filter_script:v', script, '-vsync', '0', '-q:v', '3', pattern],
      { maxBuffer: 16 << 20 },
    );
  } catch (error) {
    const detail = String((error as { stderr?: string }).stderr ?? '').trim().split('\n').pop();
    throw new OutputError(`cannot extract the frames of ${video.name} into ${folder}: ${detail || (error as Error).message}`);
  } finally {
    rmSync(script, { force: true });
  }
  names.forEach((name, i) => {
    const made = pattern.replace('%07d', String(i + 1).padStart(7, '0'));
    if (!existsSync(made)) throw new OutputError(`ffmpeg gave fewer frames than asked from ${video.name} (frame ${wanted[i]} missing)`);
    renameSync(made, join(folder, name));
  });
}

/** `dive.coco.json` -> `dive.coco-frames/` beside it. */
export function defaultFramesFolder(jsonPath: string): string {
  return join(dirname(jsonPath), `${basename(jsonPath, extname(jsonPath))}-frames`);
}
