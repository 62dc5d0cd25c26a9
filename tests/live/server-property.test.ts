/** Property-based (fast-check) abuse of a real live server: whatever a client sends, the server stays up, ignores it, counts it, and keeps serving. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { liveServerSchema } from '../../src/config/live.js';
import { LiveServer } from '../../src/live/server.js';

let server: LiveServer;
beforeAll(async () => {
  server = await LiveServer.start(liveServerSchema.parse({ port: 0 }));
});
afterAll(() => server.close());

const open = (): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
const settle = () => new Promise((r) => setTimeout(r, 30));

describe('a live server under arbitrary client messages', () => {
  it('counts every malformed message, keeps the connection and keeps serving others', async () => {
    const ws = await open();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }).filter((t) => !/^\s*\{\s*"type"\s*:\s*"set"/.test(t)),
          fc.jsonValue().map((v) => JSON.stringify(v)).filter((t) => !t.includes('"set"')),
        ),
        async (text) => {
          ws.send(text);
          sent++;
        },
      ),
      { numRuns: 100 },
    );
    await settle();
    const deadline = Date.now() + 5000;
    while (server.stats.malformedMessages < sent && Date.now() < deadline) await settle();
    expect(server.stats.malformedMessages).toBe(sent);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const another = await open();
    expect(server.clientCount).toBe(2);
    ws.terminate();
    another.terminate();
  });

  it('counts arbitrary binary messages as malformed without closing', async () => {
    const ws = await open();
    const before = server.stats.malformedMessages;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (bytes) => {
        ws.send(bytes);
      }),
      { numRuns: 50 },
    );
    const deadline = Date.now() + 5000;
    while (server.stats.malformedMessages < before + 50 && Date.now() < deadline) await settle();
    expect(server.stats.malformedMessages).toBe(before + 50);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.terminate();
  });
});
