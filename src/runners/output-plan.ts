/**
 * One output plan per run, checked before any decoding: no output may be one of the run's inputs
 * (video, navigation log, model, card) or another output, and every output must be writable. A run
 * that would destroy its own input, or fail to write after hours of decoding, stops in one line first.
 *
 * The writer side lives with the sinks (src/sinks/partial-file.ts, re-exported here): each output file
 * is written under a temporary name beside it and renamed over the target when it is complete.
 */
import { accessSync, constants, existsSync, mkdtempSync, realpathSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputError, UsageError } from '../errors.js';

export { outputFailure, PartialFile } from '../sinks/partial-file.js';

/** Something the run reads: `flag` names it in messages (`input`, `--nav`, `--model`, `model card`). */
export interface PlannedInput {
  flag: string;
  path: string;
}

/** Something the run writes: a file, or a folder it writes files into (`files` names those it knows). */
export interface PlannedOutput {
  flag: string;
  path: string;
  kind: 'file' | 'folder';
  files?: readonly string[];
}

/** Where a path leads: its real path, and device+inode when it exists (hard links share them). */
interface Identity {
  realPath: string;
  inode?: string;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function identify(path: string): Identity {
  const full = resolve(path);
  const stats = statOrUndefined(full);
  if (stats) {
    let realPath = full;
    try {
      realPath = realpathSync(full);
    } catch {
      // A path that stats but cannot be resolved (a race) keeps its absolute form.
    }
    return { realPath, inode: `${stats.dev}:${stats.ino}` };
  }
  // Not there yet: the real path of the nearest folder that exists, plus the rest as given.
  let folder = dirname(full);
  const rest = [basename(full)];
  while (!existsSync(folder) && dirname(folder) !== folder) {
    rest.unshift(basename(folder));
    folder = dirname(folder);
  }
  try {
    folder = realpathSync(folder);
  } catch {
    // Unresolvable: compare as given.
  }
  return { realPath: join(folder, ...rest) };
}

const same = (a: Identity, b: Identity) => (a.inode !== undefined && a.inode === b.inode) || a.realPath === b.realPath;

/** The files the model path stands for: the .onnx and its card (either may be given). */
export function modelInputs(modelPath: string | undefined): PlannedInput[] {
  if (modelPath === undefined) return [];
  const inputs: PlannedInput[] = [{ flag: '--model', path: modelPath }];
  const abs = resolve(modelPath);
  const cards = abs.endsWith('.json') ? [] : [abs.replace(/\.onnx$/, '.card.json'), abs.replace(/\.onnx$/, '.json')];
  for (const card of cards) if (card !== abs && existsSync(card)) inputs.push({ flag: '--model (its card)', path: card });
  return inputs;
}

/**
 * Refuses (exit 2) an output that is an input or another output, naming both flags; then refuses
 * (exit 6) an output that cannot be written: a folder where a file is meant, a file where a folder is
 * meant, a parent that is not a writable folder. Call before opening the model or decoding.
 */
export function checkOutputPlan(inputs: readonly PlannedInput[], outputs: readonly PlannedOutput[]): void {
  const readFrom = inputs.filter((i) => i.path !== '-' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(i.path)).map((i) => ({ ...i, id: identify(i.path) }));
  const written: { flag: string; path: string; id: Identity }[] = [];
  for (const output of outputs) {
    written.push({ flag: output.flag, path: output.path, id: identify(output.path) });
    for (const file of output.files ?? []) written.push({ flag: output.flag, path: file, id: identify(file) });
  }
  for (const [i, out] of written.entries()) {
    const input = readFrom.find((r) => same(r.id, out.id));
    if (input) {
      throw new UsageError(
        `${out.flag}: ${out.path} is the ${input.flag === 'input' ? 'input' : `${input.flag} file`} ${input.path}; writing it would destroy it (name another output)`,
      );
    }
    const other = written.slice(0, i).find((w) => same(w.id, out.id));
    if (other) {
      throw new UsageError(`${out.flag} and ${other.flag} both name ${out.path}; give each output its own file`);
    }
  }
  for (const output of outputs) checkWritable(output);
}

function checkWritable(output: PlannedOutput): void {
  const cannot = (why: string) => new OutputError(`${output.flag}: cannot write ${output.path}: ${why}`);
  const stats = statOrUndefined(output.path);
  if (stats) {
    if (output.kind === 'file' && stats.isDirectory()) throw cannot('it is a folder; name a file');
    if (output.kind === 'folder' && !stats.isDirectory()) throw cannot('it is a file, not a folder');
    // The file itself is replaced by a rename, so its folder must take new files (and a folder its files).
    const folder = output.kind === 'folder' ? output.path : dirname(resolve(output.path));
    if (output.kind === 'file' && !stats.isFile()) {
      // A device or pipe (/dev/null, /dev/stdout) is written in place.
      if (!deviceWritable(output.path)) throw cannot('permission denied');
      return;
    }
    if (!writable(folder)) throw cannot(`the folder ${folder} is not writable`);
    return;
  }
  // Missing folders are created; the nearest existing ancestor must be a writable folder.
  let ancestor = dirname(resolve(output.path));
  while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  const ancestorStats = statOrUndefined(ancestor);
  if (!ancestorStats?.isDirectory()) throw cannot(`${ancestor} is a file, not a folder`);
  if (!writable(ancestor)) throw cannot(`the folder ${ancestor} is not writable`);
}

/**
 * Whether new files can be made in a folder. access(2) says yes to root even on /proc or a read-only
 * mount, so a real (empty, removed at once) folder is made and removed instead.
 */
function writable(folder: string): boolean {
  try {
    rmdirSync(mkdtempSync(join(folder, '.rovlens-check-')));
    return true;
  } catch {
    return false;
  }
}

function deviceWritable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
