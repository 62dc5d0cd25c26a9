/**
 * `rovlens export`: a timeline run (or a folder of them) to VIAME, DIVE, COCO, iFDO or BIIGLE files.
 * Checks the outputs before reading anything (an output that is the run file would destroy it).
 */
import { existsSync, statSync } from 'node:fs';
import type { ExportOptions } from '../config/export.js';
import { exportRuns } from '../exports/export.js';
import { readRuns } from '../exports/run-file.js';
import { checkOutputPlan } from './output-plan.js';

export async function runExport(run: string, options: ExportOptions): Promise<void> {
  // An output that is the run file (or the iFDO header) would destroy it: refused before reading.
  const folder = options.output.endsWith('/') || (existsSync(options.output) && statSync(options.output).isDirectory());
  checkOutputPlan(
    [{ flag: 'run', path: run }, ...(options.ifdoHeader !== undefined ? [{ flag: '--ifdo-header', path: options.ifdoHeader }] : [])],
    [{ flag: '-o', path: options.output, kind: folder ? 'folder' : 'file' }],
  );
  const runs = readRuns(run);
  const written = await exportRuns(runs, {
    format: options.to,
    output: options.output,
    frames: options.frames,
    ifdoHeader: options.ifdoHeader,
    videoFolders: options.videos,
  });
  process.stderr.write(`rovlens: wrote ${written.join(', ')}\n`);
}
