#!/usr/bin/env node
/** The `rovlens` command line: thin; each command lives in src/commands/<name>.ts. */
import { Command, CommanderError } from 'commander';
import { ExitCode } from './errors.js';
import { watchStandardOutput } from './commands/action.js';
import { register as probe } from './commands/probe.js';
import { register as timeline } from './commands/timeline.js';
import { register as train } from './commands/train.js';
import { register as evaluate } from './commands/evaluate.js';
import { register as card } from './commands/card.js';
import { register as annotate } from './commands/annotate.js';
import { register as group } from './commands/group.js';
import { register as clusters } from './commands/clusters.js';
import { register as live } from './commands/live.js';
import { register as queue } from './commands/queue.js';
import { register as exportRun } from './commands/export.js';
import { register as report } from './commands/report.js';
import { register as review } from './commands/review.js';

const program = new Command('rovlens')
  .description('Underwater ROV video to knowledge: seafloor type, main element, where and when.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

// The reader of standard output went away (`| head`), or standard output cannot be written (a full
// disk, `> /dev/full`): see watchStandardOutput.
const stdoutFailure = watchStandardOutput();

// The queue takes over timeline's flags, so it registers after timeline.
for (const register of [timeline, probe, live, annotate, group, clusters, review, train, evaluate, card, exportRun, report, queue]) register(program);

try {
  await program.parseAsync(process.argv);
  if (stdoutFailure()) process.exitCode = ExitCode.output;
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; bad flags exit with the usage code. Commander already printed the message.
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    throw error;
  }
}
