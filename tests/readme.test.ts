import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { README_TABLES } from '../scripts/readme-tables.js';

const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');

describe('README', () => {
  it('starts with the two set-up commands: the main job on the bundled sample, and the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(firstBlock).toMatch(/npm install && npx rovlens timeline samples\/seafloor-sd\.mp4/);
    expect(firstBlock).toMatch(/^npm test/m);
  });

  it.each(Object.entries(README_TABLES))('carries the %s option table generated from its schema (npm run docs)', (name, table) => {
    expect(readme).toContain(`<!-- options:${name} -->\n${table()}\n<!-- /options:${name} -->`);
  });
});
