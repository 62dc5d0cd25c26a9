/**
 * The real underwater development data lives beside the checkout (../shared/data) on development
 * machines and in CI, never in the repo. Tests that need it use `describeWithData`, which skips
 * with a clear message when it is absent (a user's machine), so the core suite still runs.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe } from 'vitest';

const candidate = resolve(import.meta.dirname, '../../../shared/data');
export const SHARED_DATA: string | undefined =
  process.env.ROVLENS_DATA ?? (existsSync(resolve(candidate, 'manifest.csv')) ? candidate : undefined);

export const describeWithData = (name: string, fn: () => void) => {
  if (!SHARED_DATA) {
    console.warn(`[rovlens tests] skipping "${name}": development data not found at ${candidate} (set ROVLENS_DATA to its folder)`);
  }
  return describe.skipIf(!SHARED_DATA)(name, fn);
};

export const sharedPath = (...parts: string[]) => resolve(SHARED_DATA ?? candidate, ...parts);
