/** Where the package's own files are, whether running from src/ (tests) or dist/src/ (installed). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'models'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('rovlens: cannot find the package folder');
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();
export const DEFAULT_MODEL = join(PACKAGE_ROOT, 'models', 'rovlens-default.onnx');
