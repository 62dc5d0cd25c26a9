/** `npm run docs`: regenerates the README's option tables from the CLI's schemas. */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { README_TABLES } from './readme-tables.js';
import { replaceBlock } from './markdown.js';

const path = resolve(import.meta.dirname, '../README.md');
let text = readFileSync(path, 'utf8');
for (const [name, table] of Object.entries(README_TABLES)) text = replaceBlock(text, name, table());
writeFileSync(path, text);
console.log(`README.md: ${Object.keys(README_TABLES).length} option tables written`);
