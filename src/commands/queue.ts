/**
 * `rovlens queue add|status|wait` and `rovlens worker`: an archive of recordings on a BullMQ queue in
 * Redis, run by workers on any number of machines that share the output folder.
 */
import { Option, type Command } from 'commander';
import { parseQueueFlags, queueAddSchema, queueStatusSchema, queueWaitSchema, redisShape, workerSchema } from '../config/queue.js';
import { ExitCode } from '../errors.js';
import { addRecordings } from '../queue/add.js';
import { formatStatus, openQueue, readStatus, waitForArchive } from '../queue/status.js';
import { runWorker } from '../queue/worker.js';
import { runAction } from './action.js';

const describe = (schema: { shape: Record<string, { description?: string }> }, key: string) => schema.shape[key]?.description ?? '';

/** The Redis flags every queue command takes. */
function redisFlags(command: Command): Command {
  return command
    .option('--redis <url>', describe({ shape: redisShape }, 'redis'))
    .option('--redis-ca <file>', describe({ shape: redisShape }, 'redisCa'))
    .option('--queue <name>', describe({ shape: redisShape }, 'queue'), 'rovlens');
}

/** Timeline flags the queue does not take: each recording gets its files in --out. */
const TIMELINE_ONLY = new Set(['--output', '--segments', '--geojson', '--start', '--end', '--quiet']);

export function register(program: Command): void {
  const queue = program.command('queue').description('an archive of recordings run by workers on many machines (BullMQ on Redis)');

  const add = redisFlags(
    queue
      .command('add')
      .description('queue recordings: one job per recording, long ones in time chunks, merged into the files `timeline -o <out>/` writes')
      .argument('<inputs...>', 'video files or globs, on storage every worker reads at the same path'),
  )
    .requiredOption('--out <folder>', describe(queueAddSchema, 'out'))
    .option('--chunk-minutes <minutes>', describe(queueAddSchema, 'chunkMinutes'), '10')
    .option('--warmup <seconds>', describe(queueAddSchema, 'warmup'), '15')
    .option('--attempts <n>', describe(queueAddSchema, 'attempts'), '3');
  // The timeline's own flags, declared once (in its command) and taken over as they are.
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
      runAction(async (inputs: string[], raw: Record<string, unknown>) => {
        const { redis, redisCa, queue: name, out, chunkMinutes, warmup, attempts, ...timelineRaw } = raw;
        const options = parseQueueFlags(queueAddSchema, { redis, redisCa, queue: name, out, chunkMinutes, warmup, attempts });
        const summary = await addRecordings(inputs, options, timelineRaw);
        process.stderr.write(`rovlens: ${summary.added} recordings queued (${summary.chunks} chunks), ${summary.skipped} already there\n`);
      }),
    );

  redisFlags(queue.command('status').description('per recording: state, percent, ETA, and failures with their reasons'))
    .option('--json', describe(queueStatusSchema, 'json'))
    .action(
      runAction(async (raw: Record<string, unknown>) => {
        const options = parseQueueFlags(queueStatusSchema, raw);
        const { queue: opened, close } = await openQueue(options, false);
        try {
          const statuses = await readStatus(opened);
          process.stdout.write(options.json ? `${JSON.stringify(statuses, null, 2)}\n` : formatStatus(statuses));
        } finally {
          await close();
        }
      }),
    );

  redisFlags(queue.command('wait').description('block until every recording is done or failed; waits through Redis restarts'))
    .option('-q, --quiet', describe(queueWaitSchema, 'quiet'))
    .addHelpText(
      'after',
      `\nExit codes: 0 all done, ${ExitCode.jobsFailed} some recordings failed (see queue status), 8 Redis not reachable.`,
    )
    .action(
      runAction(async (raw: Record<string, unknown>) => {
        const options = parseQueueFlags(queueWaitSchema, raw);
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

  redisFlags(
    program.command('worker').description('run queued chunks and merges with the timeline pipeline; as many as you like, on any machine'),
  )
    .option('--concurrency <n>', describe(workerSchema, 'concurrency'), '1')
    .option('--lock-seconds <seconds>', describe(workerSchema, 'lockSeconds'), '120')
    .option('-q, --quiet', describe(workerSchema, 'quiet'))
    .addHelpText(
      'after',
      `
Ctrl-C once: finish the current chunks and stop; twice: give them back to the queue and stop.
Exit codes: 0 stopped, 2 usage, 8 Redis not reachable, 130 interrupted.`,
    )
    .action(runAction(async (raw: Record<string, unknown>) => runWorker(parseQueueFlags(workerSchema, raw))));
}
