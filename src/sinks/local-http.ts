/** Listening and addressing for the local servers (the live viewer, the review page). */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OutputError } from '../errors.js';

/** Listens on host:port; a port in use (or any other refusal) is one line with exit code 6. */
export function listen(http: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolvePromise, reject) => {
    http.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new OutputError(
          `cannot listen on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use (pick another with --port, or 0 for any)' : error.message}`,
        ),
      ),
    );
    http.listen(port, host, () => resolvePromise());
  });
}

/** The address a browser opens: `http://127.0.0.1:8620/`, `http://[::1]:8620/`. */
export function serverUrl(http: Server): string {
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}
