/**
 * `rovlens queue add|status|wait` and `rovlens worker`: an archive of recordings on a BullMQ queue in
 * Redis, run by workers on any number of machines that share the output folder. Flags come from the
 * schemas in src/config/queue.ts; `queue add` also takes the timeline's own flags from its command.
 */
import type { Command, Option } from 'commander';
import {
  parseQueueFlags,
  queueAddSchema,
  queueStatusSchema,
  queueWaitSchema,
  workerSchema,
  type QueueStatusOptions,
} from '../config/queue.js';
import { ExitCode } from '../errors.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

const REDIS_FLAGS = { redis: '--redis <url>', redisCa: '--redis-ca <file>', queue: '--queue <name>' } as const;

const ADD_FLAGS: FlagTable<typeof queueAddSchema> = {
  ...REDIS_FLAGS,
  out: '--out <folder>',
  chunkMinutes: '--chunk-minutes <minutes>',
  warmup: '--warmup <seconds>',
  attempts: '--attempts <n>',
};
const WORKER_FLAGS: FlagTable<typeof workerSchema> = {
  ...REDIS_FLAGS,
  concurrency: '--concurrency <n>',
  lockSeconds: '--lock-seconds <seconds>',
  quiet: '-q, --quiet',
};
const STATUS_FLAGS: FlagTable<typeof queueStatusSchema> = { ...REDIS_FLAGS, json: '--json' };
const WAIT_FLAGS: FlagTable<typeof queueWaitSchema> = { ...REDIS_FLAGS, quiet: '-q, --quiet' };

/** Timeline flags the queue does not take: each recording gets its files in --out. */
const TIMELINE_ONLY = new Set(['--output', '--segments', '--geojson', '--export', '--ifdo-header', '--start', '--end', '--quiet']);

export function register(program: Command): void {
  const queue = program.command('queue').description('an archive of recordings run by workers on many machines (BullMQ on Redis)');

  const add = queue
    .command('add')
    .description('queue recordings: one job per recording, long ones in time chunks, merged into the files `timeline -o <out>/` writes')
    .argument('<inputs...>', 'video files or globs, on storage every worker reads at the same path');
  addSchemaOptions(add, queueAddSchema, ADD_FLAGS);
  // The timeline's own flags, declared once (by its command, from its schema) and taken over as they are.
  const timeline = program.commands.find((c) => c.name() === 'timeline');
  const queueFlags = new Set(add.options.map((o) => o.long));
  for (const option of timeline?.options ?? []) {
    if (!TIMELINE_ONLY.has(option.long ?? '') && !queueFlags.has(option.long)) add.addOption(option as Option);
  }
  add
    .addHelpText(
      'after',
      `
Examples:
  rovlens queue add '/archive/cruise-42/*.mp4' --out /archive/timelines/ --redis redis://:secret@queue-host:6379
  rovlens queue add dive.mp4 --out results/ --every 2 --chunk-minutes 5

The other timeline flags (--every, --model, --nav, --cam-also, ...) are taken as timeline takes them.
Exit codes: 0 ok, 2 usage, 3 input missing, 8 Redis not reachable.`,
    )
    .action(
      runAction(async (inputs: string[], _flags: unknown, self: Command) => {
        const given = givenFlags(self);
        const queueRaw = Object.fromEntries(Object.entries(given).filter(([key]) => key in queueAddSchema.shape));
        const timelineRaw = Object.fromEntries(Object.entries(given).filter(([key]) => !(key in queueAddSchema.shape)));
        const { addRecordings } = await import('../queue/add.js');
        const summary = await addRecordings(inputs, parseQueueFlags(queueAddSchema, queueRaw), timelineRaw);
        process.stderr.write(`rovlens: ${summary.added} recordings queued (${summary.chunks} chunks), ${summary.skipped} already there\n`);
      }),
    );

  const status = queue.command('status').description('per recording: state, percent, ETA, and failures with their reasons');
  addSchemaOptions(status, queueStatusSchema, STATUS_FLAGS).action(
    runAction(async (_flags: unknown, self: Command) => {
      const options: QueueStatusOptions = parseQueueFlags(queueStatusSchema, givenFlags(self));
      const { formatStatus, openQueue, readStatus } = await import('../queue/status.js');
      const { queue: opened, close } = await openQueue(options, false);
      try {
        const statuses = await readStatus(opened);
        process.stdout.write(options.json ? `${JSON.stringify(statuses, null, 2)}\n` : formatStatus(statuses));
      } finally {
        await close();
      }
    }),
  );

  const wait = queue.command('wait').description('block until every recording is done or failed; waits through Redis restarts');
  addSchemaOptions(wait, queueWaitSchema, WAIT_FLAGS)
    .addHelpText(
      'after',
      `\nExit codes: 0 all done, ${ExitCode.jobsFailed} some recordings failed (see queue status), 8 Redis not reachable.`,
    )
    .action(
      runAction(async (_flags: unknown, self: Command) => {
        const options = parseQueueFlags(queueWaitSchema, givenFlags(self));
        const { waitForArchive } = await import('../queue/status.js');
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          return await waitForArchive(options, (line) => options.quiet || process.stderr.write(`rovlens: ${line}\n`), stop.signal);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }),
    );

  const worker = program
    .command('worker')
    .description('run queued chunks and merges with the timeline pipeline; as many as you like, on any machine');
  addSchemaOptions(worker, workerSchema, WORKER_FLAGS)
    .addHelpText(
      'after',
      `
Ctrl-C once: finish the current chunks and stop; twice: give them back to the queue and stop.
Exit codes: 0 stopped, 2 usage, 8 Redis not reachable, 130 interrupted.`,
    )
    .action(
      runAction(async (_flags: unknown, self: Command) => {
        const options = parseQueueFlags(workerSchema, givenFlags(self));
        const { runWorker } = await import('../queue/worker.js');
        return runWorker(options);
      }),
    );
}
