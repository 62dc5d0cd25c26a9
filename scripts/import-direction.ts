/**
 * The import direction of the house (docs/architecture.md), checked over the import graph: each
 * area may import only the areas listed for it, so nothing below imports anything above.
 * `npm run check:imports` prints the breaks; tests/scripts/import-direction.test.ts fails on any.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';

/** The shared kernel: types and helpers every layer may use; it imports only itself. */
export const KERNEL_FILES = ['src/types.ts', 'src/errors.ts', 'src/geometry.ts', 'src/timecode.ts', 'src/random.ts', 'src/paths.ts'];

const STAGES = [
  'src/sources',
  'src/telemetry',
  'src/model',
  'src/similarity',
  'src/explain',
  'src/overlay',
  'src/operators',
  'src/sinks',
  'src/live',
  'src/review',
];

/**
 * Who may import whom, bottom to top. An area always may import itself and the kernel. The order of
 * the data flow (sources -> operators -> model/explain/similarity -> sinks) is not the import order:
 * an operator wraps model, CAM or similarity maths, so those sit below it.
 */
export const ALLOWED_IMPORTS: Record<string, readonly string[]> = {
  'src/kernel': [],
  'src/config': [],
  'src/sources': ['src/config'],
  // Telemetry subtitles are read out of a video's subtitle track with the ffmpeg binding.
  'src/telemetry': ['src/config', 'src/sources'],
  'src/model': ['src/config'],
  'src/similarity': ['src/config'],
  'src/explain': ['src/config', 'src/model'],
  'src/overlay': ['src/config'],
  'src/model-building': ['src/config', 'src/model'],
  'src/operators': ['src/config', 'src/telemetry', 'src/model', 'src/explain', 'src/overlay', 'src/similarity'],
  'src/sinks': ['src/config', 'src/sources', 'src/model'],
  'src/live': ['src/config', 'src/sources', 'src/model', 'src/explain', 'src/sinks'],
  // Run files in, other tools' formats out (VIAME, DIVE, COCO, iFDO, BIIGLE).
  'src/exports': ['src/config', 'src/sources', 'src/telemetry', 'src/model', 'src/sinks'],
  // Run files in, one self-contained page and a summary CSV out.
  'src/report': ['src/config', 'src/sources', 'src/model', 'src/sinks', 'src/exports'],
  // The review page, its server and the labels file it writes: beside live, below training (which reads the labels).
  'src/review': ['src/config', 'src/sinks'],
  'src/training': ['src/config', 'src/sources', 'src/model', 'src/model-building', 'src/similarity', 'src/explain', 'src/review'],
  pipelines: ['src/config', ...STAGES],
  'src/runners': ['src/config', ...STAGES, 'src/model-building', 'src/training', 'src/exports', 'src/report', 'pipelines'],
  // The archive queue runs the timeline runner on chunks of recordings, on many machines.
  'src/queue': ['src/config', ...STAGES, 'src/exports', 'src/runners'],
  'src/commands': ['src/config', ...STAGES, 'src/model-building', 'src/training', 'src/exports', 'src/report', 'pipelines', 'src/runners', 'src/queue'],
  'src/cli.ts': ['src/commands'],
  // Tools around the product: anything in it, never the tests.
  scripts: ['src/*', 'pipelines'],
  bench: ['src/*', 'pipelines', 'scripts'],
  'models/scripts': ['src/*', 'pipelines'],
  samples: ['src/*'],
};

/** The folders scanned; tests/ may import anything and is not checked. */
const ROOTS = ['src', 'pipelines', 'scripts', 'bench', 'models/scripts', 'samples'];

/** The area a repository path belongs to, or undefined for paths no rule covers (tests, node_modules). */
export function areaOf(path: string): string | undefined {
  const p = path.split(sep).join('/');
  if (KERNEL_FILES.includes(p)) return 'src/kernel';
  if (p === 'src/cli.ts') return p;
  const parts = p.split('/');
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  if (parts[0] === 'models' && parts[1] === 'scripts') return 'models/scripts';
  if (['pipelines', 'scripts', 'bench', 'samples', 'tests'].includes(parts[0]!)) return parts[0];
  return undefined;
}

function mayImport(from: string, to: string): boolean {
  if (from === to || to === 'src/kernel') return true;
  const allowed = ALLOWED_IMPORTS[from];
  if (!allowed) return false;
  return allowed.some((a) => a === to || (a === 'src/*' && to.startsWith('src')));
}

/** Relative module specifiers of a TypeScript file: static imports, re-exports and dynamic imports. */
export function importSpecifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s(?:[^;'"])*?\sfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) if (m[1]!.startsWith('.')) found.push(m[1]!);
  return found;
}

function listTs(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'out' || name === 'build') return [];
    if (statSync(path).isDirectory()) return listTs(path);
    return /\.(ts|js)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

export interface ImportBreak {
  file: string;
  imports: string;
  fromArea: string;
  toArea: string;
}

/** Every import in the repository at `root` that goes against the direction. */
export function importBreaks(root: string): ImportBreak[] {
  const breaks: ImportBreak[] = [];
  for (const top of ROOTS) {
    for (const abs of listTs(join(root, top))) {
      const file = relative(root, abs).split(sep).join('/');
      const fromArea = areaOf(file);
      if (!fromArea) continue;
      for (const spec of importSpecifiers(readFileSync(abs, 'utf8'))) {
        const target = normalize(join(dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts');
        const toArea = areaOf(target);
        if (!toArea || mayImport(fromArea, toArea)) continue;
        breaks.push({ file, imports: target, fromArea, toArea });
      }
    }
  }
  return breaks;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
  const breaks = importBreaks(root);
  for (const b of breaks) console.log(`${b.file} -> ${b.imports} (${b.fromArea} may not import ${b.toArea})`);
  console.log(breaks.length ? `${breaks.length} imports against the direction` : 'imports follow the direction');
  process.exitCode = breaks.length ? 1 : 0;
}
