/**
 * The review page's server: one port, the page's three files and a small JSON API, with the
 * conventions of `rovlens live` (src/live/server.ts): loopback by default, a token
 * required to bind anything else (`?token=` or `Authorization: Bearer`), on loopback only loopback
 * Host names (defeats DNS rebinding), browsers only from the page's own origin or an allowed one.
 * Writes are POSTs of JSON (a cross-site form cannot send that), bodies capped in size.
 *
 * API (all under /api, all need the token when there is one):
 *   GET  /api/state                  model labels, the queue in order, decisions, progress
 *   GET  /api/picture?group=G&heat=1 the group's representative frame (JPEG), heatmap on or off
 *   POST /api/decision               {group, labels: {floor, element}, box?}: labels the whole group
 *   POST /api/undo                   takes back the newest decision
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, resolve } from 'node:path';
import { hostHeaderAllowed, originHeaderAllowed, servedHostNames } from '../sinks/host-check.js';
import { RovlensError, oneLine } from '../errors.js';
import { listen, serverUrl } from '../sinks/local-http.js';
import type { ManifestBox } from './manifest.js';
import type { ReviewFrame } from './order.js';
import { MANIFEST_HEADS, type Decision, type ManifestHead, type ReviewSession } from './session.js';

export interface ReviewServerOptions {
  host: string;
  port: number;
  token?: string;
  allowOrigins: readonly string[];
  modelName: string;
  labels: Record<string, readonly string[]>;
  manifestName: string;
  reviewer: string;
  notice?: (line: string) => void;
}

/** Makes the JPEG of a frame, plain or with the element heatmap (pipelines/review.ts has the one in use). */
export interface ReviewPictureSource {
  picture(frame: ReviewFrame, heat: boolean): Promise<Buffer>;
}

const MAX_BODY_BYTES = 16_384;

const PAGE_FILES: Record<string, { name: string; contentType: string }> = {
  '/': { name: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/index.html': { name: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/review.js': { name: 'review.js', contentType: 'text/javascript; charset=utf-8' },
  '/review.css': { name: 'review.css', contentType: 'text/css; charset=utf-8' },
};

/** The page's files sit beside this module (from src/) or in the source tree next to the build (from dist/src/). */
function pageDirectory(): string {
  const here = import.meta.dirname;
  const candidates = [resolve(here, 'page'), resolve(here, '../../../src/review/page')];
  const found = candidates.find((dir) => existsSync(resolve(dir, 'index.html')));
  if (!found) throw new Error(`review page files not found (looked in ${candidates.join(', ')})`);
  return found;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ReviewServer {
  private closed = false;
  private readonly servedHosts: ReadonlySet<string>;

  private constructor(
    private readonly http: Server,
    private readonly options: ReviewServerOptions,
    private readonly session: ReviewSession,
    private readonly pictures: ReviewPictureSource,
    private readonly files: Map<string, { body: Buffer; contentType: string }>,
  ) {
    this.servedHosts = servedHostNames(options.host);
  }

  static async start(options: ReviewServerOptions, session: ReviewSession, pictures: ReviewPictureSource): Promise<ReviewServer> {
    const dir = pageDirectory();
    const files = new Map(
      Object.entries(PAGE_FILES).map(([path, f]) => [path, { body: readFileSync(resolve(dir, f.name)), contentType: f.contentType }]),
    );
    const http = createServer();
    const server = new ReviewServer(http, options, session, pictures, files);
    http.on('request', (req, res) => void server.handle(req, res));
    http.on('clientError', (_error, socket) => socket.destroy());
    await listen(http, options.host, options.port);
    return server;
  }

  get url(): string {
    return serverUrl(this.http);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((r) => {
      this.http.close(() => r());
      this.http.closeAllConnections();
    });
  }

  /** Only Host names a rebinding page cannot forge are served, as by the live server. */
  private hostAllowed(req: IncomingMessage): boolean {
    return hostHeaderAllowed(req.headers.host, this.servedHosts);
  }

  private originAllowed(req: IncomingMessage): boolean {
    return originHeaderAllowed(req.headers.origin, req.headers.host, this.options.allowOrigins);
  }

  private tokenAllowed(req: IncomingMessage, url: URL): boolean {
    const expected = this.options.token;
    if (!expected) return true;
    const auth = req.headers.authorization;
    const given = url.searchParams.get('token') ?? (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
    if (given === undefined) return false;
    const digest = (s: string) => createHash('sha256').update(s).digest();
    return timingSafeEqual(digest(given), digest(expected));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: string | Buffer, contentType = 'text/plain; charset=utf-8') => {
      if (res.headersSent) return;
      res.writeHead(status, {
        'Content-Type': contentType,
        'Content-Length': Buffer.byteLength(body),
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
        'Content-Security-Policy': "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'",
        'Referrer-Policy': 'no-referrer',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const json = (status: number, value: unknown) => send(status, JSON.stringify(value), 'application/json; charset=utf-8');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return send(400, 'bad request\n');
    }
    if (!this.hostAllowed(req)) return send(403, 'forbidden: unknown Host\n');
    if (!this.originAllowed(req)) return send(403, 'forbidden: origin not allowed\n');
    if (this.closed) return send(503, 'server stopping\n');
    if (!url.pathname.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
      const file = this.files.get(url.pathname);
      return file ? send(200, file.body, file.contentType) : send(404, 'not found\n');
    }
    if (!this.tokenAllowed(req, url)) return json(401, { error: 'token required: open the page with ?token=<token>' });
    try {
      if (req.method === 'GET' && url.pathname === '/api/state') return json(200, this.state());
      if (req.method === 'GET' && url.pathname === '/api/picture') {
        const item = this.session.items.find((i) => i.group === url.searchParams.get('group'));
        if (!item) throw new HttpError(404, 'no such group');
        return send(200, await this.pictures.picture(item.representative, url.searchParams.get('heat') === '1'), 'image/jpeg');
      }
      if (req.method === 'POST' && url.pathname === '/api/decision') {
        const decision = parseDecision(await readJson(req));
        const frames = this.session.decide(decision);
        this.options.notice?.(
          `rovlens review: group ${decision.group}: ${describeDecision(decision)} (labels ${frames} frame${frames === 1 ? '' : 's'})`,
        );
        return json(200, { frames, progress: this.session.progress(), canUndo: this.session.canUndo });
      }
      if (req.method === 'POST' && url.pathname === '/api/undo') {
        const group = this.session.undo();
        if (group !== undefined) this.options.notice?.(`rovlens review: undid group ${group}`);
        return json(200, {
          group: group ?? null,
          decision: group === undefined ? null : (this.session.decision(group) ?? null),
          progress: this.session.progress(),
          canUndo: this.session.canUndo,
        });
      }
      throw new HttpError(404, 'no such API');
    } catch (error) {
      const status = error instanceof HttpError ? error.status : error instanceof RovlensError ? 400 : 500;
      if (status === 500) this.options.notice?.(`rovlens review: ${oneLine(error)}`);
      return json(status, { error: oneLine(error) });
    }
  }

  private state() {
    const { session, options } = this;
    return {
      model: {
        name: options.modelName,
        heads: Object.fromEntries(MANIFEST_HEADS.filter((h) => options.labels[h]).map((h) => [h, options.labels[h]])),
      },
      manifest: options.manifestName,
      reviewer: options.reviewer,
      start: session.firstOpen(),
      canUndo: session.canUndo,
      progress: session.progress(),
      items: session.items.map((item) => ({
        group: item.group,
        size: item.size,
        source: basename(item.representative.source),
        ...(item.representative.ptsSeconds !== undefined ? { ptsSeconds: item.representative.ptsSeconds } : {}),
        predictions: Object.fromEntries(
          Object.entries(item.consensus).map(([head, c]) => [
            head,
            {
              label: c.label,
              confidence: round(item.representative.predictions[head]?.confidence ?? c.meanConfidence),
              agreement: round(c.agreement),
            },
          ]),
        ),
        decision: session.decision(item.group) ?? null,
      })),
    };
  }
}

const round = (x: number) => Number(x.toFixed(4));

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send application/json');
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

function parseDecision(body: unknown): Decision {
  const b = body as { group?: unknown; labels?: Record<string, unknown>; box?: Record<string, unknown> | null };
  if (!b || typeof b.group !== 'string') throw new HttpError(400, 'a decision needs a group');
  const labels: Decision['labels'] = {};
  for (const head of MANIFEST_HEADS) {
    const v = b.labels?.[head];
    if (v === undefined) continue;
    if (v !== null && typeof v !== 'string') throw new HttpError(400, `${head} must be a label or null`);
    labels[head as ManifestHead] = v;
  }
  let box: ManifestBox | undefined;
  if (b.box) {
    const [x0, y0, x1, y1] = (['x0', 'y0', 'x1', 'y1'] as const).map((k) => Number(b.box![k]));
    box = { x0: x0!, y0: y0!, x1: x1!, y1: y1! };
  }
  return { group: b.group, labels, ...(box ? { box } : {}) };
}

function describeDecision(d: Decision): string {
  const parts = MANIFEST_HEADS.filter((h) => d.labels[h] !== undefined).map((h) => `${h} ${d.labels[h] ?? 'unsure'}`);
  return parts.join(', ') + (d.box ? ', with a box' : '');
}
