/**
 * A real redis-server for tests, on a free loopback port with its own folder, appendonly so a
 * restart keeps the queue. Tests skip with a message when the binary is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

export function redisAvailable(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' }).status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export class TestRedis {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    readonly password?: string,
  ) {}

  /** With a password, clients must give it (redis://:password@host:port). */
  static async start(dir: string, password?: string): Promise<TestRedis> {
    mkdirSync(dir, { recursive: true });
    const redis = new TestRedis(await freePort(), dir, password);
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://${this.password ? `:${this.password}@` : ''}127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', ''];
    if (this.password) args.push('--requirepass', this.password);
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    await new Promise<void>((ready, fail) => {
      let log = '';
      const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${log}`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        log += d;
        if (/Ready to accept connections/.test(log)) {
          clearTimeout(timer);
          ready();
        }
      });
      child.once('exit', (code) => (clearTimeout(timer), fail(new Error(`redis-server exited with ${code}: ${log}`))));
    });
  }

  /** Stops it as an operator would (SIGTERM: it writes its append-only file and exits). */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
    this.process = undefined;
  }

  async restart(downMs = 1000): Promise<void> {
    await this.stop();
    await new Promise((wait) => setTimeout(wait, downMs));
    await this.launch();
  }
}

export function redisFolder(root: string): string {
  return join(root, 'redis');
}
