/**
 * Redis connections for the queue: the URL as given (password, database, rediss:// for TLS) plus a
 * CA file, passed through to ioredis. Nothing here listens; only outgoing connections are made.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { SourceError, UsageError } from '../errors.js';

export interface RedisTarget {
  redis: string;
  redisCa?: string;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}

/**
 * `persistent`: workers and `queue wait` retry for as long as Redis is away (it may be restarting);
 * commands that answer at once give up after a few tries with one line.
 */
export function connect(target: RedisTarget, { persistent }: { persistent: boolean }): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: persistent ? null : 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => (persistent ? Math.min(times * 200, 2000) : times > 3 ? null : 200),
  };
  if (target.redis.startsWith('rediss://') || target.redisCa) {
    let ca: Buffer | undefined;
    if (target.redisCa) {
      try {
        ca = readFileSync(target.redisCa);
      } catch (error) {
        throw new UsageError(`--redis-ca: cannot read ${target.redisCa}: ${(error as NodeJS.ErrnoException).code}`);
      }
    }
    options.tls = ca ? { ca } : {};
  }
  const redis = new Redis(target.redis, options);
  // Errors surface where a command waits on Redis; the connection itself retries quietly.
  redis.on('error', () => undefined);
  return redis;
}

/** Waits for the first connection, or says in one line why there is none. */
export async function reachable(redis: Redis, target: RedisTarget, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    redis.disconnect();
    throw new SourceError(`cannot reach Redis at ${redactUrl(target.redis)}: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    clearTimeout(timer);
  }
}
