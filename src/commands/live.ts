import type { Command } from 'commander';

/** Placeholder until the `live` command lands; it is not listed in --help. */
export function register(_program: Command): void {}
