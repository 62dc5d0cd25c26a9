import type { Command } from 'commander';

/** Placeholder until the `clusters` command lands; it is not listed in --help. */
export function register(_program: Command): void {}
