/**
 * Every default and range of the archive queue (`rovlens queue add|status|wait`, `rovlens worker`)
 * in one schema, shared by the CLI flags and the README's option tables.
 */
import { z } from 'zod';
import { parseFlags } from './flags.js';

/** Where Redis is: the URL may carry a password (redis://:secret@host:6379/0) and ask for TLS (rediss://). */
export const redisShape = {
  redis: z
    .string()
    .regex(/^rediss?:\/\//, 'the Redis URL must start with redis:// or rediss:// (TLS)')
    .default('redis://127.0.0.1:6379')
    .describe('Redis URL, with a password and rediss:// for TLS as needed; $ROVLENS_REDIS when not given'),
  redisCa: z.string().optional().describe('CA certificate (PEM) for a rediss:// server signed by a private authority'),
  queue: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a queue name is letters, digits, _ and -')
    .default('rovlens')
    .describe('queue name: separate archives on one Redis'),
};

export const queueAddSchema = z.object({
  ...redisShape,
  out: z.string().min(1).describe('folder every worker can write (shared storage): timelines, segments and chunk files go there'),
  chunkMinutes: z.coerce
    .number()
    .gt(0)
    .max(24 * 60)
    .default(10)
    .describe('length of a time chunk; a longer recording is split at keyframes into chunks that run on many workers'),
  warmup: z.coerce
    .number()
    .min(0)
    .max(3600)
    .default(15)
    .describe('seconds a chunk decodes before its start (not written) so reuse and grouping agree with a single run'),
  attempts: z.coerce.number().int().min(1).max(100).default(3).describe('tries per chunk before its recording is marked failed'),
});
export type QueueAddOptions = z.infer<typeof queueAddSchema>;

export const workerSchema = z.object({
  ...redisShape,
  concurrency: z.coerce.number().int().min(1).max(64).default(1).describe('chunks this worker runs at once'),
  lockSeconds: z.coerce
    .number()
    .min(1)
    .max(3600)
    .default(120)
    .describe("how long a chunk stays claimed without a heartbeat; a killed worker's chunk is taken up again after this"),
  quiet: z.boolean().default(false).describe('no line per job'),
});
export type WorkerOptions = z.infer<typeof workerSchema>;

export const queueStatusSchema = z.object({
  ...redisShape,
  json: z.boolean().default(false).describe('print JSON'),
});
export type QueueStatusOptions = z.infer<typeof queueStatusSchema>;

export const queueWaitSchema = z.object({
  ...redisShape,
  quiet: z.boolean().default(false).describe('no progress lines'),
});
export type QueueWaitOptions = z.infer<typeof queueWaitSchema>;

/** Flags of a queue command; the Redis URL falls back to $ROVLENS_REDIS, which keeps a password out of `ps`. */
export function parseQueueFlags<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  return parseFlags(schema, { ...raw, redis: raw.redis ?? (process.env.ROVLENS_REDIS || undefined) });
}
