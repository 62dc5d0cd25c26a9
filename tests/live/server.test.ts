import { afterEach, describe, expect, it } from 'vitest';
import { connect as tcpConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { liveServerSchema, type LiveServerOptions } from '../../src/config/live.js';
import { LiveServer } from '../../src/live/server.js';
import { decodeFrame, PROTOCOL_VERSION, type ServerMessage } from '../../src/live/protocol.js';
import { OutputError } from '../../src/errors.js';

const servers: LiveServer[] = [];
const sockets: { close(): void }[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<LiveServerOptions> = {}, greeting: ServerMessage[] = []): Promise<LiveServer> {
  const server = await LiveServer.start(liveServerSchema.parse({ port: 0, ...options }), { greeting: () => greeting });
  servers.push(server);
  return server;
}

const wsUrl = (server: LiveServer, query = '') => `ws://127.0.0.1:${server.port}/ws${query}`;

interface Received {
  texts: ServerMessage[];
  frames: { seq: number; bytes: number }[];
}

/** Opens a client and collects what it receives. Rejects with the HTTP status when refused. */
function client(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; got: Received }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const got: Received = { texts: [], frames: [] };
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const { seq, jpeg } = decodeFrame(data as Buffer);
        got.frames.push({ seq, bytes: jpeg.length });
      } else got.texts.push(JSON.parse(String(data)));
    });
    ws.once('open', () => {
      sockets.push({ close: () => ws.terminate() });
      resolve({ ws, got });
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const until = async (check: () => boolean, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const stats = (n: number): ServerMessage => ({
  v: PROTOCOL_VERSION,
  type: 'stats',
  inputFps: n,
  processedFps: n,
  droppedFrames: 0,
  droppedFraction: 0,
  latencyMs: { p50: null, p95: null },
  clients: 0,
  skippedForYou: 0,
});

describe('LiveServer', () => {
  describe('good calls', () => {
    it('serves the viewer page, its script and its stylesheet with their content types', async () => {
      const server = await start();
      const page = await fetch(server.url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('viewer.js');
      const script = await fetch(`${server.url}viewer.js`);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      const style = await fetch(`${server.url}viewer.css`);
      expect(style.headers.get('content-type')).toMatch(/text\/css/);
    });

    it('greets each new client and sends results with their frames paired by seq', async () => {
      const server = await start({}, [stats(1)]);
      const { got } = await client(wsUrl(server));
      await until(() => got.texts.length === 1);
      server.sendResult(stats(2), Buffer.from([0xff, 0xd8, 1, 2, 3]), 42);
      await until(() => got.frames.length === 1);
      expect(got.texts.map((m) => (m as { inputFps: number }).inputFps)).toEqual([1, 2]);
      expect(got.frames[0]).toEqual({ seq: 42, bytes: 5 });
    });

    it('delivers every result to 20 clients at once', async () => {
      const server = await start();
      const clients = await Promise.all(Array.from({ length: 20 }, () => client(wsUrl(server))));
      expect(server.clientCount).toBe(20);
      for (let i = 0; i < 10; i++) server.sendResult(stats(i), randomBytes(2000), i);
      await until(() => clients.every((c) => c.got.frames.length === 10));
      for (const c of clients) expect(c.got.frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('accepts the right token from the query string or an Authorization header', async () => {
      const server = await start({ token: 'correct-horse' });
      // client() resolves on 'open' and rejects when the upgrade is refused.
      await client(wsUrl(server, '?token=correct-horse'));
      await client(wsUrl(server), { Authorization: 'Bearer correct-horse' });
      expect(server.clientCount).toBe(2);
    });

    it('accepts a browser from the page origin and from an allowed origin', async () => {
      const server = await start({ allowOrigins: ['https://console.example.org'] });
      await client(wsUrl(server), { Origin: `http://127.0.0.1:${server.port}` });
      await client(wsUrl(server), { Origin: 'https://console.example.org' });
      expect(server.clientCount).toBe(2);
    });

    it('sends results but no frames to a client that asked for none', async () => {
      const server = await start();
      const { ws, got } = await client(wsUrl(server));
      ws.send(JSON.stringify({ type: 'set', frames: false }));
      await new Promise((r) => setTimeout(r, 50));
      server.sendResult(stats(1), Buffer.from([1, 2, 3]), 1);
      await until(() => got.texts.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      expect(got.frames).toEqual([]);
    });
  });

  describe('bad calls', () => {
    it('refuses a wrong or missing token with 401 before any WebSocket exists', async () => {
      const server = await start({ token: 'correct-horse' });
      await expect(client(wsUrl(server, '?token=wrong-horse'))).rejects.toThrow('HTTP 401');
      await expect(client(wsUrl(server))).rejects.toThrow('HTTP 401');
      expect(server.clientCount).toBe(0);
      expect(server.stats.refused).toBe(2);
    });

    it('refuses a browser on another origin with 403', async () => {
      const server = await start();
      await expect(client(wsUrl(server), { Origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    });

    it('refuses a Host that is not loopback while bound to loopback (DNS rebinding)', async () => {
      const server = await start();
      await expect(
        client(wsUrl(server), { Host: `evil.example:${server.port}`, Origin: `http://evil.example:${server.port}` }),
      ).rejects.toThrow('HTTP 403');
      expect(await rawGet(server.port, '/', 'evil.example')).toMatch(/^HTTP\/1.1 403/);
      expect(await rawGet(server.port, '/', `localhost:${server.port}`)).toMatch(/^HTTP\/1.1 200/);
    });

    it('refuses a name that only starts like a loopback address, page and WebSocket alike', async () => {
      const server = await start();
      const rebound = `127.0.0.1.evil.example:${server.port}`;
      await expect(client(wsUrl(server), { Host: rebound, Origin: `http://${rebound}` })).rejects.toThrow('HTTP 403');
      expect(await rawGet(server.port, '/', rebound)).toMatch(/^HTTP\/1.1 403/);
      expect(await rawGet(server.port, '/', `[::1]:${server.port}`)).toMatch(/^HTTP\/1.1 200/);
    });

    it('serves nothing outside its allow-list, whatever the path says', async () => {
      const server = await start();
      for (const path of [
        '/package.json',
        '/../package.json',
        '/%2e%2e/package.json',
        '/viewer/../../package.json',
        '/src/live/viewer/viewer.js',
        '/viewer.js/',
      ]) {
        const res = await rawGet(server.port, path);
        expect(res.startsWith('HTTP/1.1 404'), `${path}: ${res.split('\r\n')[0]}`).toBe(true);
      }
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    });

    it('refuses connections beyond maxClients with 503', async () => {
      const server = await start({ maxClients: 2 });
      await client(wsUrl(server));
      await client(wsUrl(server));
      await expect(client(wsUrl(server))).rejects.toThrow('HTTP 503');
    });

    it('ignores malformed client messages and keeps the client', async () => {
      const server = await start();
      const { ws, got } = await client(wsUrl(server));
      for (const junk of ['not json', '{"type":"set"}', '{"type":"set","frames":"yes"}', '[1,2]', 'null']) ws.send(junk);
      ws.send(Buffer.from([1, 2, 3]));
      await until(() => server.stats.malformedMessages === 6);
      server.sendResult(stats(7), Buffer.from([9]), 7);
      await until(() => got.frames.length === 1);
      expect(server.clientCount).toBe(1);
    });

    it('closes a client whose message exceeds maxPayloadBytes with 1009, and only that client', async () => {
      const server = await start({ maxPayloadBytes: 256 });
      const other = await client(wsUrl(server));
      const { ws } = await client(wsUrl(server));
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      ws.send('x'.repeat(1000));
      expect(await closed).toBe(1009);
      await until(() => server.clientCount === 1);
      server.sendResult(stats(1), Buffer.from([1]), 1);
      await until(() => other.got.frames.length === 1);
    });

    it('rejects a port that is in use with an OutputError that says what to do', async () => {
      const server = await start();
      await expect(LiveServer.start(liveServerSchema.parse({ port: server.port }))).rejects.toThrow(OutputError);
      await expect(LiveServer.start(liveServerSchema.parse({ port: server.port }))).rejects.toThrow(/in use.*--port/);
    });
  });

  describe('slow and dead clients', () => {
    it('keeps the bytes queued for a client that never reads bounded, and keeps serving the others', async () => {
      const maxBufferedBytes = 256 * 1024;
      const server = await start({ maxBufferedBytes, heartbeatSeconds: 600 });
      const stalled = await rawUpgrade(server.port);
      const reader = await client(wsUrl(server));
      const frame = randomBytes(64 * 1024);
      let maxQueued = 0;
      // 26 MB in total, far beyond what the loopback socket buffers hold. Each result waits until
      // the reading client has it, so only the stalled client falls behind.
      for (let i = 0; i < 400; i++) {
        server.sendResult(stats(i), frame, i);
        maxQueued = Math.max(maxQueued, ...server.bufferedBytes());
        while (reader.got.frames.length <= i) await new Promise((r) => setImmediate(r));
      }
      expect(reader.got.frames.map((f) => f.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i));
      // The stalled client's queue did reach the limit (so the limit was what held it), and at most
      // one result beyond it was queued (the check comes before the send).
      expect(maxQueued).toBeGreaterThan(maxBufferedBytes);
      expect(maxQueued).toBeLessThanOrEqual(maxBufferedBytes + frame.length + 1024);
      stalled.destroy();
    });

    it('drops a client that does not answer pings', async () => {
      const server = await start({ heartbeatSeconds: 0.1 });
      const stalled = await rawUpgrade(server.port);
      const alive = await client(wsUrl(server));
      expect(server.clientCount).toBe(2);
      await until(() => server.clientCount === 1, 3000);
      expect(server.stats.dropped).toBe(1);
      expect(alive.ws.readyState).toBe(WebSocket.OPEN);
      stalled.destroy();
    });
  });
});

/** A raw HTTP GET, so the path reaches the server exactly as written (fetch would normalise it). */
function rawGet(port: number, path: string, host = `127.0.0.1:${port}`): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/** Completes a WebSocket handshake by hand, then never reads again: a client that stops reading. */
function rawUpgrade(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const socket = tcpConnect(port, '127.0.0.1', () =>
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.once('data', (d) => {
      if (!String(d).startsWith('HTTP/1.1 101')) return reject(new Error(String(d).split('\r\n')[0]));
      socket.pause();
      resolve(socket);
    });
    socket.on('error', () => undefined);
  });
}
