/**
 * `rovlens worker`: takes chunk and merge jobs from the queue and runs them in this process.
 *
 * The timeline run is asynchronous (ffmpeg in its own process, ONNX Runtime on its own threads), so
 * the event loop stays free to renew job locks; the lock is long (--lock-seconds) so a loaded machine
 * does not lose its jobs to BullMQ's stalled check, and a killed worker's job is taken up again once
 * its lock runs out. Ctrl-C once: finish the current chunks, take no more. Twice: stop them and give
 * them back to the queue.
 */
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Worker, WaitingError, type Job } from 'bullmq';
import { parseTimelineOptions } from '../config/timeline.js';
import type { WorkerOptions } from '../config/queue.js';
import { ExitCode, oneLine } from '../errors.js';
import { ChunkWriter } from './chunk-file.js';
import { connect, reachable, redactUrl } from './connection.js';
import { CHUNK_JOB, MERGE_JOB, type ChunkData, type ChunkReturn, type RecordingData } from './jobs.js';
import { mergeRecording } from './merge-recording.js';
import { ChunkInterrupted, runChunk } from './run-chunk.js';

export async function runWorker(options: WorkerOptions): Promise<number> {
  const connection = connect(options, { persistent: true });
  await reachable(connection, options);
  const say = (line: string) => options.quiet || process.stderr.write(`rovlens worker: ${line}\n`);
  const running = new Map<string, AbortController>();

  const processJob = async (job: Job, token?: string): Promise<unknown> => {
    const abort = new AbortController();
    running.set(job.id!, abort);
    try {
      if (job.name === CHUNK_JOB) return await processChunk(job as Job<ChunkData>, abort.signal, say);
      if (job.name === MERGE_JOB) return await processMerge(job as Job<RecordingData>, abort.signal, say);
      throw new Error(`unknown job kind '${job.name}'`);
    } catch (error) {
      if (error instanceof ChunkInterrupted) {
        // Back to the queue as it was: another worker (or this one, restarted) runs it whole.
        await job.moveToWait(token);
        say(`${job.id}: given back to the queue`);
        throw new WaitingError();
      }
      say(`${job.id}: failed (attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1}): ${oneLine(error)}`);
      throw new Error(oneLine(error));
    } finally {
      running.delete(job.id!);
    }
  };

  const worker = new Worker(options.queue, processJob, {
    connection,
    concurrency: options.concurrency,
    lockDuration: options.lockSeconds * 1000,
    stalledInterval: Math.max(500, options.lockSeconds * 500),
    maxStalledCount: 3,
  });
  let connected = true;
  worker.on('error', (error) => {
    if (connected) say(`lost Redis (${oneLine(error)}); reconnecting`);
    connected = false;
  });
  connection.on('ready', () => {
    if (!connected) say('Redis is back');
    connected = true;
  });
  say(`taking jobs from queue '${options.queue}' at ${redactUrl(options.redis)} (concurrency ${options.concurrency})`);

  return new Promise<number>((done) => {
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals === 1) {
        say(running.size ? 'finishing the current chunks (Ctrl-C again gives them back to the queue)' : 'stopping');
        void worker.close().then(() => {
          connection.disconnect();
          done(ExitCode.ok);
        });
        return;
      }
      if (signals === 2) {
        say('giving the current chunks back to the queue');
        for (const abort of running.values()) abort.abort();
        return;
      }
      done(ExitCode.interrupted);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function processChunk(job: Job<ChunkData>, signal: AbortSignal, say: (line: string) => void): Promise<ChunkReturn> {
  const { input, chunk, file, durationSeconds } = job.data;
  const options = parseTimelineOptions(job.data.flags);
  const from = chunk.decodeFromSeconds;
  const to = chunk.decodeToSeconds ?? durationSeconds;
  say(`${job.id}: ${input} ${from.toFixed(1)}-${to === undefined ? 'end' : to.toFixed(1)} s`);
  mkdirSync(dirname(file), { recursive: true });
  const writer = new ChunkWriter(file, `${hostname()}-${process.pid}-${job.attemptsMade}`);
  let reported = -1;
  try {
    await runChunk(
      input,
      options,
      { fromSeconds: from, toSeconds: chunk.decodeToSeconds },
      (result) => {
        writer.write(result);
        if (to === undefined || to <= from) return;
        const percent = Math.min(99, Math.floor((100 * (result.frame.ptsSeconds - from)) / (to - from)));
        if (percent > reported) {
          reported = percent;
          job.updateProgress(percent).catch(() => undefined);
        }
      },
      signal,
    );
  } catch (error) {
    writer.discard();
    throw error;
  }
  writer.commit();
  await job.updateProgress(100).catch(() => undefined);
  return { index: chunk.index, file, rows: writer.rows };
}

async function processMerge(job: Job<RecordingData>, signal: AbortSignal, say: (line: string) => void) {
  const values = await job.getChildrenValues<ChunkReturn>();
  const report = await mergeRecording(job.data, Object.values(values), signal);
  say(
    `${job.data.sourceId}: ${report.rows} rows -> ${report.timeline}${report.rerun ? ` (${report.rerun} chunks run again to join)` : ''}`,
  );
  return report;
}
