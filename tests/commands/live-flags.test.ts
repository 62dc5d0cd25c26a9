import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { liveFlagsSchema } from '../../src/config/live.js';
import { optionsTable } from '../../scripts/markdown.js';
import { liveOptionsFromFlags, register } from '../../src/commands/live.js';
import { UsageError } from '../../src/errors.js';

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

describe('rovlens live flags', () => {
  it('has exactly one command-line flag per field of the flags schema, with its description', () => {
    const program = new Command();
    register(program);
    const live = program.commands.find((c) => c.name() === 'live')!;
    const flags = live.options.map((o) => o.long!.replace(/^--(no-)?/, ''));
    expect(flags.sort()).toEqual(Object.keys(liveFlagsSchema.shape).map(kebab).sort());
    for (const option of live.options) {
      const key = option.attributeName() as keyof typeof liveFlagsSchema.shape;
      if (option.long !== '--no-frames') expect(option.description, option.long).toBe(liveFlagsSchema.shape[key].description);
    }
  });

  it('documents every flag in the options table the README carries', () => {
    const table = optionsTable(liveFlagsSchema);
    for (const key of Object.keys(liveFlagsSchema.shape)) expect(table).toMatch(new RegExp(`\`--(no-)?${kebab(key)}\``));
    expect(table).toContain('| `--port` | `8620` |');
  });

  it('maps flags to the options runLive takes, filling defaults', () => {
    const o = liveOptionsFromFlags({
      model: '/m.onnx',
      stallTimeout: 2,
      inputOptions: '-f v4l2  -input_format mjpeg',
      frames: false,
      token: 'a-long-secret',
      host: '0.0.0.0',
    });
    expect(o.source).toMatchObject({ stallTimeoutSeconds: 2, inputOptions: ['-f', 'v4l2', '-input_format', 'mjpeg'] });
    expect(o.pipeline).toMatchObject({ model: '/m.onnx', sendFrames: false });
    expect(o.server).toMatchObject({ host: '0.0.0.0', token: 'a-long-secret', port: 8620 });
  });

  it('names the flag in a validation error', () => {
    expect(() => liveOptionsFromFlags({ model: '/m.onnx', jpegQuality: 0 })).toThrow(UsageError);
    expect(() => liveOptionsFromFlags({ model: '/m.onnx', jpegQuality: 0 })).toThrow(/^--jpeg-quality: /);
    expect(() => liveOptionsFromFlags({ model: '/m.onnx', overlay: 'both' })).toThrow(/^--overlay: /);
    expect(() => liveOptionsFromFlags({ model: '/m.onnx', displayWidth: 159 })).toThrow(/^--display-width: /);
    expect(() => liveOptionsFromFlags({ model: '/m.onnx', displayWidth: 3841 })).toThrow(/^--display-width: /);
  });

  it('decodes a 960-pixel-wide picture for viewers by default, and the width given', () => {
    expect(liveOptionsFromFlags({ model: '/m.onnx' }).pipeline.displayWidth).toBe(960);
    expect(liveOptionsFromFlags({ model: '/m.onnx', displayWidth: 1920 }).pipeline.displayWidth).toBe(1920);
    expect(optionsTable(liveFlagsSchema)).toContain('| `--display-width` | `960` |');
  });
});
