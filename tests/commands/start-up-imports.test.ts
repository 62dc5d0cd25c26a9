/**
 * The CLI's start-up loads the flags of every command but the modules of none: a command imports
 * its runner when it runs (docs/architecture.md). Walks the static imports from src/cli.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const STATIC = [/^\s*import\s(?!type\b)(?:[^;'"])*?\sfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm];

/** Modules (relative to the repository) and packages reached by static, value imports. */
function staticGraph(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    const key = relative(ROOT, file);
    if (modules.has(key)) return;
    modules.add(key);
    const text = readFileSync(file, 'utf8');
    for (const pattern of STATIC) {
      for (const [, specifier] of text.matchAll(pattern)) {
        if (specifier!.startsWith('.')) visit(resolve(dirname(file), specifier!.replace(/\.js$/, '.ts')));
        else if (!specifier!.startsWith('node:')) packages.add(specifier!.split('/').slice(0, specifier!.startsWith('@') ? 2 : 1).join('/'));
      }
    }
  };
  visit(resolve(ROOT, entry));
  return { modules, packages };
}

describe('CLI start-up', () => {
  const { modules, packages } = staticGraph('src/cli.ts');

  it('reaches every command module', () => {
    expect([...modules].filter((m) => m.startsWith('src/commands/')).length).toBeGreaterThanOrEqual(13);
  });

  it('loads no runner, pipeline, queue, training, export or report module', () => {
    const heavy = [...modules].filter(
      // runners/report.ts is how any error is reported: the kernel's error types and nothing else.
      (m) => /^(src\/(runners|queue|training|exports|report|review|live)\/|pipelines\/)/.test(m) && m !== 'src/runners/report.ts',
    );
    expect(heavy).toEqual([]);
  });

  it('loads none of the heavy packages (ONNX Runtime, sharp, BullMQ, RxJS, ws)', () => {
    expect([...packages].filter((p) => ['onnxruntime-node', 'sharp', 'bullmq', 'ioredis', 'rxjs', 'ws', 'playwright-core'].includes(p))).toEqual(
      [],
    );
  });
});
