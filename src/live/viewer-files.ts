/**
 * The viewer page's files, read once into memory from an allow-list: the static server can serve
 * these three and nothing else, whatever the request path says.
 *
 * They are plain browser files that the TypeScript build does not copy, so they are looked up beside
 * this module (running from src/) and in the source tree next to the build (running from dist/src/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

const FILES: Record<string, { name: string; contentType: string }> = {
  '/': { name: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/index.html': { name: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/viewer.js': { name: 'viewer.js', contentType: 'text/javascript; charset=utf-8' },
  '/viewer.css': { name: 'viewer.css', contentType: 'text/css; charset=utf-8' },
};

export function viewerDirectory(): string {
  const here = import.meta.dirname;
  const candidates = [resolve(here, 'viewer'), resolve(here, '../../../src/live/viewer')];
  const found = candidates.find((dir) => existsSync(resolve(dir, 'index.html')));
  if (!found) throw new Error(`viewer page files not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** URL path -> file, for exactly the allow-listed paths. */
export function loadViewerFiles(dir = viewerDirectory()): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const [path, { name, contentType }] of Object.entries(FILES)) {
    files.set(path, { body: readFileSync(resolve(dir, name)), contentType });
  }
  return files;
}
