/** The one options table: commander flags generated from each command's schema, and the one parse path. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { register as annotate } from '../../src/commands/annotate.js';
import { register as card } from '../../src/commands/card.js';
import { register as clusters } from '../../src/commands/clusters.js';
import { register as evaluate } from '../../src/commands/evaluate.js';
import { register as group } from '../../src/commands/group.js';
import { register as live } from '../../src/commands/live.js';
import { register as review } from '../../src/commands/review.js';
import { givenFlags } from '../../src/commands/options.js';
import { register as timeline } from '../../src/commands/timeline.js';
import { register as train } from '../../src/commands/train.js';
import { cardOptionsSchema } from '../../src/config/card.js';
import { annotateSchema } from '../../src/config/explain.js';
import { choicesOf, defaultOf, parseFlags } from '../../src/config/flags.js';
import { clustersCommandSchema, groupCommandSchema } from '../../src/config/grouping.js';
import { liveFlagsSchema } from '../../src/config/live.js';
import { reviewOptionsSchema } from '../../src/config/review.js';
import { timelineOptionsSchema } from '../../src/config/timeline.js';
import { evaluateOptionsSchema, trainingOptionsSchema } from '../../src/config/training.js';
import { UsageError } from '../../src/errors.js';

const COMMANDS = [
  ['timeline', timeline, timelineOptionsSchema],
  ['live', live, liveFlagsSchema],
  ['annotate', annotate, annotateSchema],
  ['group', group, groupCommandSchema],
  ['clusters', clusters, clustersCommandSchema],
  ['review', review, reviewOptionsSchema],
  ['train', train, trainingOptionsSchema],
  ['evaluate', evaluate, evaluateOptionsSchema],
  ['card', card, cardOptionsSchema],
] as const;

function commandNamed(name: string, register: (program: Command) => void): Command {
  const program = new Command('rovlens').exitOverride();
  register(program);
  return program.commands.find((c) => c.name() === name)!;
}

describe('flags generated from the schemas', () => {
  it.each(COMMANDS)('gives `rovlens %s` one flag per schema field, with its default and choices', (name, register, schema) => {
    const command = commandNamed(name, register);
    const shape = schema.shape as Record<string, z.ZodType>;
    const byKey = new Map(command.options.map((o) => [o.attributeName(), o]));
    for (const [key, field] of Object.entries(shape)) {
      const option = byKey.get(key);
      expect(option, `${name}: no flag for ${key}`).toBeDefined();
      const fallback = defaultOf(field);
      if (!option!.isBoolean() && !option!.negate) expect(option!.defaultValue, `${name} ${option!.long}`).toEqual(fallback);
      if (option!.negate) expect(fallback, `${name} ${option!.long}: a --no- flag turns off what is on by default`).toBe(true);
      expect(option!.argChoices, `${name} ${option!.long}`).toEqual(choicesOf(field));
    }
  });

  it('collects a repeatable flag given several times, in order', async () => {
    const command = commandNamed('card', card);
    let seen: Record<string, unknown> = {};
    command.action((_model: string, _flags: unknown, self: Command) => {
      seen = givenFlags(self);
    });
    await command.parseAsync(['m.onnx', '--head', 'floor=a,b', '--head', 'element=c,d', '--scaling', 'unit'], { from: 'user' });
    expect(parseFlags(cardOptionsSchema, seen)).toMatchObject({ head: ['floor=a,b', 'element=c,d'], logits: [], scaling: 'unit' });
  });

  it('leaves values commander filled from a default to the schema', async () => {
    const command = commandNamed('timeline', timeline);
    let seen: Record<string, unknown> = {};
    command.action((_inputs: string[], _flags: unknown, self: Command) => {
      seen = givenFlags(self);
    });
    await command.parseAsync(['dive.mp4', '--batch', '8', '--no-pushdown'], { from: 'user' });
    expect(seen).toEqual({ batch: '8', pushdown: false });
    expect(parseFlags(timelineOptionsSchema, seen)).toMatchObject({ batch: 8, every: 1, pushdown: false, skipDuplicates: true });
  });
});

describe('the one parse path', () => {
  const schema = z.object({
    port: z.number().int().min(0).max(65_535).default(8620),
    threshold: z.number().gt(0).max(1).default(0.5),
    widths: z.array(z.number().int().min(1)).default([]),
    format: z.enum(['csv', 'jsonl']).default('csv'),
    name: z.string().min(3, 'a name needs three letters').optional(),
  });

  it('reads numbers given as text where the schema wants numbers, lists of them too', () => {
    expect(parseFlags(schema, { port: '0', threshold: '0.25', widths: ['160', '320'], name: '123' })).toEqual({
      port: 0,
      threshold: 0.25,
      widths: [160, 320],
      format: 'csv',
      name: '123',
    });
  });

  it.each([
    [{ port: '70000' }, "--port: must be an integer in 0..65535, got '70000'"],
    [{ port: '1.5' }, "--port: must be an integer in 0..65535, got '1.5'"],
    [{ port: 'http' }, "--port: must be an integer in 0..65535, got 'http'"],
    [{ threshold: '0' }, "--threshold: must be a number above 0 and at most 1, got '0'"],
    [{ format: 'xml' }, "--format: must be one of csv, jsonl, got 'xml'"],
    [{ name: 'ab' }, '--name: a name needs three letters'],
  ])('turns %j into one usage line naming the flag', (raw, message) => {
    expect(() => parseFlags(schema, raw)).toThrow(UsageError);
    expect(() => parseFlags(schema, raw)).toThrow(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  it('names a required flag that was left out, with what it takes', () => {
    expect(() => parseFlags(cardOptionsSchema, { scaling: 'unit' })).toThrow(/^--head: required$/);
    expect(() => parseFlags(cardOptionsSchema, { head: ['a=b,c'] })).toThrow(
      /^--scaling: required \(one of unit, symmetric, imagenet, caffe\)$/,
    );
  });

  it('says which flag a rule across flags is about', () => {
    expect(() => parseFlags(timelineOptionsSchema, { start: '20', end: '10' })).toThrow(/^--end: --end must be after --start$/);
    expect(() => parseFlags(clustersCommandSchema, { kMin: '5', kMax: '3' })).toThrow(/^--k-max: --k-max must be at least --k-min$/);
  });
});
