/**
 * A live navigation feed: NMEA 0183 sentences arriving as UDP datagrams (one or more lines each), kept
 * as the newest value of each field with the time it came. The live pipeline asks for the values at
 * each processed frame; a value older than the allowed age is left out, so a lost feed shows as no
 * position rather than a stale one.
 */
import { createSocket, type Socket } from 'node:dgram';
import { SourceError } from '../errors.js';
import { parseNmea, type NmeaValues } from './nmea.js';

export class NmeaFeed {
  private readonly latest = new Map<string, { value: number; atMs: number }>();
  /** Sentences used, and lines that were not usable (bad checksum, no fix, other types). */
  readonly counts = { used: 0, ignored: 0 };

  private constructor(
    private readonly socket: Socket,
    /** The address it listens on, e.g. '0.0.0.0:10110'. */
    readonly address: string,
  ) {
    socket.on('message', (datagram) => {
      for (const line of datagram.toString('latin1').split(/\r?\n/)) {
        if (!line.trim()) continue;
        const values = parseNmea(line);
        if (values) this.take(values);
        else this.counts.ignored++;
      }
    });
  }

  /** Listens on `port` (0: any free port) of `host`; a port in use is a one-line SourceError. */
  static listen(port: number, host = '0.0.0.0'): Promise<NmeaFeed> {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: true });
    return new Promise((resolve, reject) => {
      socket.once('error', (error: NodeJS.ErrnoException) => {
        socket.close();
        reject(new SourceError(`cannot listen for NMEA on udp ${host}:${port}: ${error.code ?? error.message}`));
      });
      socket.bind(port, host, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        const bound = socket.address();
        resolve(new NmeaFeed(socket, `${bound.address}:${bound.port}`));
      });
    });
  }

  private take(values: NmeaValues): void {
    this.counts.used++;
    const atMs = Date.now();
    for (const [name, value] of Object.entries(values)) this.latest.set(name, { value, atMs });
  }

  /** The newest value of each field that is at most `maxAgeMs` old at `nowMs`. */
  values(maxAgeMs: number, nowMs = Date.now()): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, { value, atMs }] of this.latest) if (nowMs - atMs <= maxAgeMs) out[name] = value;
    return out;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
