/** Starts `rovlens review` as a user does (a separate process) and waits for the page's address. */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from '../helpers/cli.js';

export interface RunningReview {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function startReview(args: string[]): Promise<RunningReview> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'review', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ROVLENS_DEBUG: '' },
    });
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rovlens review did not start:\n${stderr}`));
    }, 60_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      const url = /page at (http:\/\/\S+?\/)[;?\s]/.exec(stderr)?.[1];
      if (url) {
        clearTimeout(timer);
        resolvePromise({ child, url, stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`rovlens review exited (${code}) before listening:\n${stderr}`));
    });
  });
}
