/**
 * Run files (src/exports/run-file.ts) as the report takes them: each input's rows, its duration as
 * probed (cut at the run's --end), where its file is now, and the command line as a shell would take it.
 */
import { locateInput, recordsOf, type Run } from '../exports/run-file.js';
import { oneLine } from '../errors.js';
import type { ReportRun, ReportVideo } from './build.js';

/** POSIX shell quoting: words of safe characters stay bare, others are single-quoted. */
export function shellQuote(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** `searchFolders`: where to look for videos that moved (as `--videos` says). */
export function reportRunOf(run: Run, searchFolders: readonly string[] = []): ReportRun {
  const { header } = run;
  const end = header.sampling.endSeconds ?? Infinity;
  const videos = header.inputs.map((input): ReportVideo => {
    const duration = Math.min(input.probe.durationSeconds ?? Infinity, end);
    const video: ReportVideo = {
      source: input.path,
      rows: recordsOf(run, input),
      ...(Number.isFinite(duration) ? { durationSeconds: duration } : {}),
    };
    try {
      return { ...video, file: locateInput(run, input, searchFolders) };
    } catch (error) {
      return { ...video, missing: oneLine(error) };
    }
  });
  return {
    path: run.file,
    commandLine: shellQuote(header.command),
    model: { name: header.model.name, provenance: header.model.provenance, heads: header.model.heads },
    videos,
  };
}
