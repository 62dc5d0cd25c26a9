/**
 * Runs to the formats annotation tools and data centres read: VIAME CSV, DIVE JSON, COCO, iFDO and
 * BIIGLE. The run files carry the video paths and the model, so nothing is repeated here.
 */
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { ExportFormat } from '../config/export.js';
import { OutputError, UsageError } from '../errors.js';
import { biigleCsv } from './biigle.js';
import { cocoJson, defaultFramesFolder } from './coco.js';
import { exportVideos, type ExportVideo } from './export-video.js';
import { ifdoJson, readIfdoHeader } from './ifdo.js';
import type { Run } from './run-file.js';
import { diveJson, viameCsv } from './viame.js';

export interface ExportRequest {
  format: ExportFormat;
  output: string;
  /** coco: extract the frames as JPEGs beside the JSON. */
  frames?: boolean;
  /** ifdo: the user's header file. */
  ifdoHeader?: string;
  /** Folders to look in for videos that moved. */
  videoFolders?: readonly string[];
}

/** VIAME CSV and DIVE JSON describe one video each; the others hold several. */
const PER_VIDEO: Partial<Record<ExportFormat, { ext: string; write: (video: ExportVideo) => string }>> = {
  viame: { ext: '.viame.csv', write: viameCsv },
  dive: { ext: '.dive.json', write: diveJson },
};

/** Writes the export; returns the files written. */
export async function exportRuns(runs: readonly Run[], request: ExportRequest): Promise<string[]> {
  const { format, output } = request;
  // Checked before reading any video: a header missing fields or a bad output says so at once.
  const ifdoHeader = format === 'ifdo' ? readIfdoHeader(request.ifdoHeader!) : undefined;
  const intoFolder = output.endsWith('/') || (existsSync(output) && statSync(output).isDirectory());
  const perVideo = PER_VIDEO[format];
  if (intoFolder && !perVideo) throw new UsageError(`-o: ${format} writes one file for all videos; give a file name, not a folder`);
  const videos = await exportVideos(runs, {
    videoFolders: request.videoFolders,
    needVideo: format === 'ifdo' || (format === 'coco' && request.frames),
  });
  if (!videos.length) throw new UsageError(`the run holds no video with results: nothing to export`);
  if (perVideo) {
    if (!intoFolder && videos.length > 1) {
      throw new UsageError(`-o: ${format} describes one video per file and the run holds ${videos.length}: give a folder (-o exports/)`);
    }
    const written: string[] = [];
    const used = new Set<string>();
    for (const video of videos) {
      let path = output;
      if (intoFolder) {
        const stem = basename(video.name, extname(video.name));
        let name = `${stem}${perVideo.ext}`;
        for (let n = 2; used.has(name); n++) name = `${stem}-${n}${perVideo.ext}`;
        used.add(name);
        path = join(output, name);
      }
      writeWhole(path, perVideo.write(video));
      written.push(path);
    }
    return written;
  }
  if (format === 'coco') {
    const framesFolder = request.frames ? defaultFramesFolder(output) : undefined;
    writeWhole(output, await cocoJson(videos, { framesFolder, jsonFolder: dirname(resolve(output)) }));
    return framesFolder ? [output, framesFolder] : [output];
  }
  if (format === 'ifdo') {
    writeWhole(output, await ifdoJson(videos, ifdoHeader!));
    return [output];
  }
  writeWhole(output, biigleCsv(videos));
  return [output];
}

/** Written under a temporary name and renamed: an export is whole or absent, never half-written. */
function writeWhole(path: string, text: string): void {
  const partial = `${path}.partial-${process.pid}`;
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    writeFileSync(partial, text);
    renameSync(partial, path);
  } catch (error) {
    throw new OutputError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
