/**
 * The model a command runs when `--model` is not given: the one bundled with the package. Checked in
 * one place, so every command says the same thing when it is missing.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { DEFAULT_MODEL } from '../paths.js';

/** The given model, or the bundled one; a usage error naming `--model` when neither is there. */
export function modelOrBundled(model: string | undefined): string {
  if (model) return model;
  if (!existsSync(DEFAULT_MODEL)) throw new UsageError(`the bundled model is missing (${DEFAULT_MODEL}); pass --model <file.onnx>`);
  return DEFAULT_MODEL;
}

/** The bundled model when it is there: for commands that can do without a model. */
export function bundledModelIfPresent(): string | undefined {
  return existsSync(DEFAULT_MODEL) ? DEFAULT_MODEL : undefined;
}
