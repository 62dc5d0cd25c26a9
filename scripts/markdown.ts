/**
 * The README's option tables are generated from the same zod schemas the CLI validates with
 * (`npm run docs` rewrites them; a test fails when they drift apart).
 */
import type { z } from 'zod';

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface FieldDef {
  type: string;
  defaultValue?: unknown;
  innerType?: { def: FieldDef };
}

export function optionsTable(schema: z.ZodObject | { shape: Record<string, z.ZodType> }): string {
  const rows = Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => {
    const def = (field as unknown as { def: FieldDef }).def;
    const fallback = def.type === 'default' ? def.defaultValue : undefined;
    const flag = fallback === true ? `--no-${kebab(key)}` : `--${kebab(key)}`;
    const shown = fallback === undefined || typeof fallback === 'boolean' ? '' : `\`${String(fallback)}\``;
    const described = (field.description ?? '').replace(/\|/g, '\\|');
    // Switches that are on by default are listed by the flag that turns them off.
    const text = fallback === true ? `on by default (\`${flag}\` turns it off): ${described}` : described;
    return `| \`${flag}\` | ${shown} | ${text} |`;
  });
  return ['| option | default | what it does |', '|---|---|---|', ...rows].join('\n');
}

/** Replaces the text between `<!-- options:NAME -->` and `<!-- /options:NAME -->`. */
export function replaceBlock(markdown: string, name: string, body: string): string {
  const start = `<!-- options:${name} -->`;
  const end = `<!-- /options:${name} -->`;
  const i = markdown.indexOf(start);
  const j = markdown.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${start} ... ${end} block`);
  return `${markdown.slice(0, i + start.length)}\n${body}\n${markdown.slice(j)}`;
}
