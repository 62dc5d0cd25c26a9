/**
 * The one options table: a command's flags come from its zod schema (src/config/<command>.ts). The
 * command names each field's flag spelling once; help text, default, choices and the value check all
 * come from the schema, and one parse path turns any schema error into `--flag: message` (exit 2).
 * The README's option tables are generated from the same schemas (`npm run docs`).
 */
import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { choicesOf, defaultOf, isList } from '../config/flags.js';

/** How a field is spelled on the command line: '--every <seconds>', '-o, --output <path>', '--no-frames'. */
export type FlagSpelling = string | { flag: string; help?: string };

/** One spelling per field of the schema: a field without a flag does not compile. */
export type FlagTable<S extends z.ZodObject> = { [K in keyof S['shape']]: FlagSpelling };

/** Commander options for a schema, in the table's order. */
export function schemaOptions<S extends z.ZodObject>(schema: S, flags: FlagTable<S>): Option[] {
  return Object.entries(flags as Record<string, FlagSpelling>).map(([key, spelling]) => {
    const field = schema.shape[key] as z.ZodType;
    const { flag, help } = typeof spelling === 'string' ? { flag: spelling, help: undefined } : spelling;
    const option = new Option(flag, help ?? field.description ?? '');
    // Shown in help as commander shows defaults; the value itself comes from the schema (flags left
    // at their default are dropped before parsing: see `givenFlags`), so it is stated once.
    const fallback = defaultOf(field);
    if (fallback !== undefined && !option.isBoolean()) option.default(fallback);
    // Listed in help; checked by the schema, so a bad choice reads like any other bad value.
    const choices = choicesOf(field);
    if (choices) option.argChoices = choices;
    // A list given as a repeatable flag (`--export a --export b`) rather than one with several values.
    if (isList(field) && !option.variadic && !option.isBoolean()) {
      option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    }
    return option;
  });
}

/** Adds a schema's flags to a command. */
export function addSchemaOptions<S extends z.ZodObject>(command: Command, schema: S, flags: FlagTable<S>): Command {
  for (const option of schemaOptions(schema, flags)) command.addOption(option);
  return command;
}

/** The flags the user gave: values commander filled from a default are left for the schema to fill. */
export function givenFlags(command: Command): Record<string, unknown> {
  const opts = command.opts();
  return Object.fromEntries(Object.entries(opts).filter(([key]) => command.getOptionValueSource(key) !== 'default'));
}
