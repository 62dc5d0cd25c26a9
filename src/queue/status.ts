/**
 * `rovlens queue status` and `rovlens queue wait`: per recording its state, percent done, an ETA and
 * the failures with their reasons, read from the jobs in Redis.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { ExitCode, oneLine } from '../errors.js';
import { timecode } from '../sinks/columns.js';
import { connect, reachable, redactUrl, type RedisTarget } from './connection.js';
import { chunkJobId, MERGE_JOB, type RecordingData } from './jobs.js';

export type RecordingState = 'queued' | 'running' | 'merging' | 'done' | 'failed';

export interface RecordingStatus {
  input: string;
  state: RecordingState;
  percent: number;
  chunks: { total: number; done: number; running: number; failed: number };
  /** Seconds left at the rate so far; undefined before any progress. */
  etaSeconds?: number;
  /** Why it failed: the chunk's own reason (the decoder's, for a corrupt recording). */
  failures: string[];
  timeline?: string;
}

const ALL_STATES = ['waiting-children', 'waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export async function readStatus(queue: Queue): Promise<RecordingStatus[]> {
  const parents = (await queue.getJobs([...ALL_STATES])).filter((job) => job?.name === MERGE_JOB) as Job<RecordingData>[];
  const statuses = await Promise.all(parents.map((parent) => recordingStatus(queue, parent)));
  return statuses.sort((a, b) => a.input.localeCompare(b.input));
}

async function recordingStatus(queue: Queue, parent: Job<RecordingData>): Promise<RecordingStatus> {
  const data = parent.data;
  const parentState = await parent.getState();
  const chunks = await Promise.all(data.chunks.map((c) => Job.fromId(queue, chunkJobId(data.key, c.index))));
  const counts = { total: data.chunks.length, done: 0, running: 0, failed: 0 };
  const failures: string[] = [];
  let progressSum = 0;
  let firstStart = Infinity;
  for (const chunk of chunks) {
    // A finished chunk may already be cleaned away: the recording's state says it was done.
    const state = chunk ? await chunk.getState() : parentState === 'waiting-children' ? 'unknown' : 'completed';
    if (chunk?.processedOn) firstStart = Math.min(firstStart, chunk.processedOn);
    if (state === 'completed') {
      counts.done++;
      progressSum += 100;
    } else if (state === 'failed') {
      counts.failed++;
      failures.push(`chunk ${chunk!.data.chunk.index}: ${chunk!.failedReason} (after ${chunk!.attemptsMade} attempts)`);
    } else if (state === 'active') {
      counts.running++;
      progressSum += typeof chunk!.progress === 'number' ? chunk!.progress : 0;
    }
  }
  if (parentState === 'failed' && !failures.length && parent.failedReason) failures.push(parent.failedReason);
  const done = parentState === 'completed';
  const state: RecordingState =
    parentState === 'completed'
      ? 'done'
      : parentState === 'failed' || counts.failed
        ? 'failed'
        : parentState === 'active' || (counts.done === counts.total && parentState !== 'waiting-children')
          ? 'merging'
          : counts.running || counts.done
            ? 'running'
            : 'queued';
  // The merge is quick next to the chunks: chunks make 99 % of a recording.
  const percent = done ? 100 : Math.min(99, Math.floor((0.99 * progressSum) / counts.total));
  const elapsed = Number.isFinite(firstStart) ? (Date.now() - firstStart) / 1000 : 0;
  const etaSeconds = !done && state !== 'failed' && percent > 0 && elapsed > 0 ? (elapsed * (100 - percent)) / percent : undefined;
  const result = parent.returnvalue as { timeline?: string } | undefined;
  return {
    input: data.sourceId,
    state,
    percent,
    chunks: counts,
    ...(etaSeconds !== undefined ? { etaSeconds: Math.round(etaSeconds) } : {}),
    failures,
    ...(result?.timeline ? { timeline: result.timeline } : {}),
  };
}

export function formatStatus(statuses: readonly RecordingStatus[]): string {
  if (!statuses.length) return 'no recordings in the queue\n';
  const lines = statuses.map((s) => {
    const eta = s.etaSeconds !== undefined ? `, ETA ${timecode(s.etaSeconds).slice(0, 8)}` : '';
    const chunks = `${s.chunks.done}/${s.chunks.total} chunks`;
    const head = `${s.state.padEnd(8)} ${String(s.percent).padStart(3)} %  ${chunks}${eta}  ${s.input}`;
    return [head, ...s.failures.map((f) => `         ${f}`)].join('\n');
  });
  return `${lines.join('\n')}\n`;
}

export interface Opened {
  connection: Redis;
  queue: Queue;
  close(): Promise<void>;
}

export async function openQueue(target: RedisTarget & { queue: string }, persistent: boolean): Promise<Opened> {
  const connection = connect(target, { persistent });
  await reachable(connection, target);
  const queue = new Queue(target.queue, { connection });
  queue.on('error', () => undefined);
  return {
    connection,
    queue,
    close: async () => {
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}

/**
 * Blocks until no recording is queued, running or merging: woken by the queue's events, and checking
 * again every few seconds too, so a Redis restart (events missed while it was away) cannot hang it.
 */
export async function waitForArchive(
  target: RedisTarget & { queue: string },
  report: (line: string) => void,
  signal?: AbortSignal,
): Promise<number> {
  const { queue, close } = await openQueue(target, true);
  const eventsConnection = connect(target, { persistent: true });
  const events = new QueueEvents(target.queue, { connection: eventsConnection });
  events.on('error', () => undefined);
  let lastLine = '';
  let outage = false;
  try {
    for (;;) {
      let statuses: RecordingStatus[];
      try {
        statuses = await readStatus(queue);
        if (outage) report(`Redis at ${redactUrl(target.redis)} is back`);
        outage = false;
      } catch (error) {
        if (!outage) report(`waiting for Redis at ${redactUrl(target.redis)} (${oneLine(error)})`);
        outage = true;
        await sleep(1000, signal);
        if (signal?.aborted) return ExitCode.interrupted;
        continue;
      }
      const open = statuses.filter((s) => s.state !== 'done' && s.state !== 'failed');
      const failed = statuses.filter((s) => s.state === 'failed');
      const line = `${statuses.length - open.length - failed.length} done, ${failed.length} failed, ${open.length} to go`;
      if (line !== lastLine) report(line);
      lastLine = line;
      if (!open.length) {
        for (const f of failed) report(`failed: ${f.input}: ${f.failures[0] ?? 'unknown reason'}`);
        return failed.length ? ExitCode.jobsFailed : ExitCode.ok;
      }
      let wake = () => undefined as void;
      const woken = new Promise<void>((done) => (wake = done));
      events.on('completed', wake);
      events.on('failed', wake);
      await Promise.race([woken, sleep(3000, signal)]);
      events.off('completed', wake);
      events.off('failed', wake);
      if (signal?.aborted) return ExitCode.interrupted;
    }
  } finally {
    await events.close().catch(() => undefined);
    eventsConnection.disconnect();
    await close();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
  });
}
