import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { areaOf, importBreaks, importSpecifiers } from '../../scripts/import-direction.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** A throwaway repository holding the given files. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rovlens-imports-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('import direction', () => {
  it('holds for the whole repository: nothing below imports anything above', () => {
    expect(importBreaks(ROOT).map((b) => `${b.file} -> ${b.imports}`)).toEqual([]);
  });

  it('reports explain importing sinks and sources, sinks importing live, telemetry importing operators', () => {
    const root = tree({
      'src/explain/render.ts': "import { timecode } from '../sinks/columns.js';\nimport { fluent } from '../sources/binaries.js';\n",
      'src/sinks/websocket-server.ts': "import type { ServerMessage } from '../live/protocol.js';\n",
      'src/telemetry/nav-join.ts': "import type { JoinNavOptions } from '../operators/join-nav.js';\n",
      'src/training/near-duplicates.ts': "import { frameHash } from '../operators/skip-duplicates.js';\n",
    });
    expect(importBreaks(root).map((b) => `${b.fromArea} -> ${b.toArea}`)).toEqual([
      'src/explain -> src/sinks',
      'src/explain -> src/sources',
      'src/sinks -> src/live',
      'src/telemetry -> src/operators',
      'src/training -> src/operators',
    ]);
  });

  it('reports scripts and bench importing tests, and a kernel file importing a stage', () => {
    const root = tree({
      'scripts/docs.ts': "import { README_TABLES } from '../tests/readme-tables.js';\n",
      'bench/grouping.ts': "import { writeEvalClip } from '../tests/similarity/eval-clip.js';\n",
      'src/types.ts': "import type { ModelCard } from './model/card.js';\n",
    });
    expect(importBreaks(root).map((b) => `${b.file} -> ${b.imports}`).sort()).toEqual([
      'bench/grouping.ts -> tests/similarity/eval-clip.ts',
      'scripts/docs.ts -> tests/readme-tables.ts',
      'src/types.ts -> src/model/card.ts',
    ]);
  });

  it('lets a layer import the ones below it and the kernel', () => {
    const root = tree({
      'src/operators/infer.ts': "import { predictBatch } from '../model/predict.js';\nimport type { Frame } from '../types.js';\n",
      'src/runners/timeline.ts': "import { timelinePipeline } from '../../pipelines/timeline.js';\n",
      'pipelines/timeline.ts': "import { infer } from '../src/operators/infer.js';\n",
    });
    expect(importBreaks(root)).toEqual([]);
  });

  it('reads multi-line imports, type imports, re-exports and dynamic imports, not comments', () => {
    const text = [
      '/** see the import in ../sinks/row-file.js */',
      'import {',
      '  a,',
      '  b,',
      "} from './a.js';",
      "import type { C } from '../c.js';",
      "export { d } from './d.js';",
      "const e = await import('./e.js');",
      "import 'node:fs';",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual(['./a.js', '../c.js', './d.js', './e.js']);
  });

  it('puts the shared types below everything', () => {
    expect(areaOf('src/types.ts')).toBe('src/kernel');
    expect(areaOf('src/timecode.ts')).toBe('src/kernel');
    expect(areaOf('src/model-building/onnx-graph.ts')).toBe('src/model-building');
    expect(areaOf('models/scripts/train-default.ts')).toBe('models/scripts');
  });
});
