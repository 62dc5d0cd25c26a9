/**
 * CLI tests spawn `bin/rovlens.js`, which runs the compiled dist/: build it once per test run, so a
 * test never exercises stale code. Type errors fail `npm test` in its typecheck step, not here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '..');
  const tsc = resolve(root, 'node_modules/typescript/bin/tsc');
  spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
  if (!existsSync(resolve(root, 'dist/src/cli.js'))) throw new Error('the build produced no dist/src/cli.js');
}
