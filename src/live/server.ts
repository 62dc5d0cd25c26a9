/**
 * The live feed's server: one port for the viewer page (HTTP, an allow-list of three files) and the
 * WebSocket (`/ws`, protocol in src/live/protocol.ts).
 *
 * Safety: binds loopback by default; a token (checked on the upgrade request, before any WebSocket
 * exists) is required to bind anything else; browsers may only connect from the page's own origin or
 * an allowed one; on loopback the Host header must name loopback too, which defeats DNS rebinding.
 * Bounded per client: frames are skipped while a client's unsent bytes exceed `maxBufferedBytes`, a
 * client that does not answer a ping by the next one is dropped, client messages are capped by
 * `maxPayloadBytes`, and malformed client messages are ignored.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { LiveServerOptions } from '../config/live.js';
import { hostHeaderAllowed, originHeaderAllowed, servedHostNames } from '../sinks/host-check.js';
import { listen, serverUrl } from '../sinks/local-http.js';
import { encodeFrame, parseClientMessage, WS_PATH, type ServerMessage } from './protocol.js';
import { loadViewerFiles, type StaticFile } from './viewer-files.js';

export interface LiveServerHooks {
  /** Messages a new client gets first (hello, history, the current status). */
  greeting?: () => ServerMessage[];
  /** Where one-line notices go (a refused client, a dropped client). Default: nowhere. */
  notice?: (line: string) => void;
}

interface Client {
  socket: WebSocket;
  /** Answered the last ping. */
  alive: boolean;
  wantsFrames: boolean;
  /** Results not sent to this client because it was behind. */
  skipped: number;
}

export interface ClientCounters {
  connected: number;
  refused: number;
  dropped: number;
  malformedMessages: number;
}

export class LiveServer {
  private readonly clients = new Set<Client>();
  private readonly counters: ClientCounters = { connected: 0, refused: 0, dropped: 0, malformedMessages: 0 };
  private readonly servedHosts: ReadonlySet<string>;
  private heartbeat?: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly options: LiveServerOptions,
    private readonly hooks: LiveServerHooks,
    private readonly files: Map<string, StaticFile>,
  ) {
    this.servedHosts = servedHostNames(options.host);
  }

  /** Starts listening; rejects with an OutputError when the address cannot be bound. */
  static async start(options: LiveServerOptions, hooks: LiveServerHooks = {}): Promise<LiveServer> {
    const files = loadViewerFiles();
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes,
      clientTracking: false,
      perMessageDeflate: false,
    });
    const http = createServer();
    const server = new LiveServer(http, wss, options, hooks, files);
    http.on('request', (req, res) => server.serveStatic(req, res));
    http.on('upgrade', (req, socket, head) => server.upgrade(req, socket, head));
    http.on('clientError', (_error, socket) => socket.destroy());
    await listen(http, options.host, options.port);
    server.heartbeat = setInterval(() => server.beat(), options.heartbeatSeconds * 1000);
    server.heartbeat.unref();
    return server;
  }

  /** The viewer page's address (the WebSocket is at `ws://<same>/ws`). */
  get url(): string {
    return serverUrl(this.http);
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get stats(): Readonly<ClientCounters> {
    return this.counters;
  }

  /** Bytes queued and unsent, per client: what the backpressure limit watches. */
  bufferedBytes(): number[] {
    return [...this.clients].map((c) => c.socket.bufferedAmount);
  }

  /**
   * A result (and its JPEG) to every client that keeps up; a client whose unsent bytes exceed the
   * limit is skipped for this one, so it gets fewer frames instead of an ever-growing queue.
   */
  sendResult(message: ServerMessage, jpeg?: Uint8Array, seq = 0): void {
    const text = JSON.stringify(message);
    const frame = jpeg ? encodeFrame(seq, jpeg) : undefined;
    for (const client of this.clients) {
      if (client.socket.readyState !== WebSocket.OPEN) continue;
      if (client.socket.bufferedAmount > this.options.maxBufferedBytes) {
        client.skipped++;
        continue;
      }
      client.socket.send(text);
      if (frame && client.wantsFrames) client.socket.send(frame);
    }
  }

  /**
   * Small control messages (status, stats) go to every client up to 4x the limit: a client that far
   * behind is not reading at all, and is dropped rather than buffered for.
   */
  sendControl(message: ServerMessage | ((skippedForClient: number) => ServerMessage)): void {
    const fixed = typeof message === 'function' ? undefined : JSON.stringify(message);
    for (const client of this.clients) {
      if (client.socket.readyState !== WebSocket.OPEN) continue;
      if (client.socket.bufferedAmount > 4 * this.options.maxBufferedBytes) {
        this.drop(client, 'not reading');
        continue;
      }
      client.socket.send(fixed ?? JSON.stringify((message as (n: number) => ServerMessage)(client.skipped)));
    }
  }

  /** Tells clients the server is going away, closes them and stops listening. */
  async close(reason = 'server stopping'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.socket.close(1001, reason);
    // Give well-behaved clients a moment to answer the close frame, then cut the rest.
    await new Promise((r) => setTimeout(r, this.clients.size ? 200 : 0));
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
    this.wss.close();
    await new Promise<void>((r) => {
      this.http.close(() => r());
      this.http.closeAllConnections();
    });
  }

  private beat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.drop(client, 'no answer to ping');
        continue;
      }
      client.alive = false;
      try {
        client.socket.ping();
      } catch {
        this.drop(client, 'ping failed');
      }
    }
  }

  private drop(client: Client, why: string): void {
    this.counters.dropped++;
    this.clients.delete(client);
    client.socket.terminate();
    this.hooks.notice?.(`rovlens live: dropped a viewer (${why})`);
  }

  /** Only Host names a rebinding page cannot forge are served (src/sinks/host-check.ts). */
  private hostAllowed(req: IncomingMessage): boolean {
    return hostHeaderAllowed(req.headers.host, this.servedHosts);
  }

  private originAllowed(req: IncomingMessage): boolean {
    return originHeaderAllowed(req.headers.origin, req.headers.host, this.options.allowOrigins);
  }

  private tokenAllowed(req: IncomingMessage): boolean {
    const expected = this.options.token;
    if (!expected) return true;
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    const given = url.searchParams.get('token') ?? (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
    if (given === undefined) return false;
    // Equal-length digests, so the comparison time says nothing about the token.
    const digest = (s: string) => createHash('sha256').update(s).digest();
    return timingSafeEqual(digest(given), digest(expected));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, text: string) => {
      this.counters.refused++;
      this.hooks.notice?.(`rovlens live: refused a WebSocket from ${req.socket.remoteAddress} (${text})`);
      // Destroy only once the response is flushed, or the client may never see the status.
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (this.closed) return refuse(503, 'Service Unavailable');
    if (path !== WS_PATH) return refuse(404, 'Not Found');
    if (!this.hostAllowed(req)) return refuse(403, 'Forbidden');
    if (!this.originAllowed(req)) return refuse(403, 'Forbidden');
    if (!this.tokenAllowed(req)) return refuse(401, 'Unauthorized');
    if (this.clients.size >= this.options.maxClients) return refuse(503, 'Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(socket: WebSocket): void {
    const client: Client = { socket, alive: true, wantsFrames: true, skipped: 0 };
    this.clients.add(client);
    this.counters.connected++;
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data, isBinary) => {
      const message = isBinary ? undefined : parseClientMessage(String(data));
      if (!message) {
        this.counters.malformedMessages++;
        return;
      }
      if (message.type === 'set') client.wantsFrames = message.frames;
    });
    socket.on('close', () => this.clients.delete(client));
    // ws reports protocol violations (e.g. a message over maxPayload) here, then closes the socket.
    socket.on('error', () => this.clients.delete(client));
    for (const message of this.hooks.greeting?.() ?? []) socket.send(JSON.stringify(message));
  }

  private serveStatic(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, body: string | Buffer, contentType = 'text/plain; charset=utf-8') => {
      res.writeHead(status, {
        'Content-Type': contentType,
        'Content-Length': Buffer.byteLength(body),
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
        'Content-Security-Policy':
          "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' blob: data:; style-src 'self'; script-src 'self'",
        'Referrer-Policy': 'no-referrer',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!this.hostAllowed(req)) return send(403, 'forbidden: unknown Host\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      return send(400, 'bad request\n');
    }
    const file = this.files.get(path);
    if (!file) return send(404, 'not found\n');
    send(200, file.body, file.contentType);
  }
}
