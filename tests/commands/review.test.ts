/**
 * `rovlens review` as a user runs it: the queue without a server (--list, from a clip, a timeline's
 * JSON lines or a labels manifest), the server's safety conventions, and bad input refused in one
 * line with its exit code, leaving the labels file as it was.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { formatManifestRow, manifestHeader, type ManifestRow } from '../../src/review/manifest.js';
import { runCli } from '../helpers/cli.js';
import { CODECS, makeClip } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { startReview, type RunningReview } from '../helpers/review-server.js';

interface Listed {
  rank: number;
  group: string;
  size: number;
  path: string;
  pts_seconds?: number;
  predictions: Record<string, { label: string; confidence: number; agreement: number }>;
  reviewed: boolean;
}

const dir = mkdtempSync(join(tmpdir(), 'rovlens-review-cli-'));
let clip: string;
let model: string;
const running: RunningReview[] = [];

beforeAll(() => {
  clip = makeClip('review-cli', { width: 160, height: 120, seconds: 4, fps: 10, codec: CODECS.h264, ext: 'mp4' });
  model = writeTinyModel(join(dir, 'model')).modelPath;
});
afterAll(() => {
  for (const r of running) r.child.kill('SIGKILL');
});

const start = async (args: string[]) => {
  const r = await startReview(args);
  running.push(r);
  return r;
};
const row = (over: Partial<ManifestRow>, manifest: string): string =>
  formatManifestRow(manifest, {
    source: clip,
    ptsSeconds: 0,
    floor: 'sandy',
    element: 'fauna',
    group: '0',
    crop: { widthFraction: 0.67, heightFraction: 1 },
    reviewer: 'bo',
    reviewedAt: '2026-12-07T10:00:00.000Z',
    ...over,
  });
/** fetch cannot set Host: a plain request can. */
const statusWithHost = (url: string, host: string) =>
  new Promise<number>((done, fail) => {
    const req = request(url, { headers: { Host: host } }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
/** Exactly one line on stderr, `rovlens: ...`, no stack. */
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^rovlens: /);
  return lines[0]!;
};

describe('rovlens review --list', () => {
  it('prints one representative per group in page order, covering every sampled frame', async () => {
    const json = await runCli(['review', clip, '--model', model, '--list', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const queue = JSON.parse(json.stdout) as Listed[];
    expect(queue.map((q) => q.rank)).toEqual(queue.map((_, i) => i + 1));
    // 4 s at one frame a second.
    expect(queue.reduce((n, q) => n + q.size, 0)).toBe(4);
    for (const q of queue) {
      expect(q.path).toBe(clip);
      expect(q.pts_seconds).toBeGreaterThanOrEqual(0);
      expect(Object.keys(q.predictions).sort()).toEqual(['element', 'floor']);
      expect(q.reviewed).toBe(false);
    }
    const csv = await runCli(['review', clip, '--model', model, '--list']);
    const lines = csv.stdout.trim().split('\r\n');
    expect(lines[0]).toBe(
      'rank,group,size,path,pts_seconds,predicted_floor,floor_confidence,floor_agreement,predicted_element,element_confidence,element_agreement,uncertainty,reviewed',
    );
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(queue.map((q) => q.group));
  });

  it('takes its group thresholds from --hash-bits and --min-cosine: loosest, one group; strictest, one per frame', async () => {
    const sizes = async (hashBits: string, minCosine: string) => {
      const result = await runCli([
        'review',
        clip,
        '--model',
        model,
        '--list',
        '--json',
        '--hash-bits',
        hashBits,
        '--min-cosine',
        minCosine,
      ]);
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as Listed[]).map((q) => q.size);
    };
    expect(await sizes('64', '-1')).toEqual([4]);
    // The test pattern moves, so no two frames hash alike.
    expect(await sizes('0', '1')).toEqual([1, 1, 1, 1]);
  });

  it('lists the queue of a labels manifest with the groups it reviewed marked', async () => {
    const manifest = join(dir, 'listed.csv');
    writeFileSync(manifest, manifestHeader() + row({ ptsSeconds: 0 }, manifest));
    const result = await runCli(['review', manifest, '--model', model, '--list', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const queue = JSON.parse(result.stdout) as Listed[];
    expect(queue.reduce((n, q) => n + q.size, 0)).toBe(4);
    expect(queue.filter((q) => q.reviewed)).toHaveLength(1);
  });

  it('lists the groups of a timeline written as JSON lines, without running the model again', async () => {
    const timeline = join(dir, 'dive.jsonl');
    const made = await runCli(['timeline', clip, '--model', model, '--format', 'jsonl', '-o', timeline, '-q']);
    expect(made.code, made.stderr).toBe(0);
    const records = readFileSync(timeline, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { frameIndex?: number; group: { groupId: number } })
      // The first line describes the run; frames have a frameIndex.
      .filter((r) => r.frameIndex !== undefined);
    expect(records.length).toBeGreaterThan(0);
    const result = await runCli(['review', timeline, '--model', model, '--list', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const queue = JSON.parse(result.stdout) as Listed[];
    expect(queue.reduce((n, q) => n + q.size, 0)).toBe(records.length);
    expect(queue.map((q) => q.group).sort()).toEqual([...new Set(records.map((r) => String(r.group.groupId)))].sort());
  });
});

describe('rovlens review of an image folder', () => {
  it('lists and labels images: no pts, sources relative to the labels file, a picture per group', async () => {
    const folder = join(dir, 'stills');
    mkdirSync(folder, { recursive: true });
    const solid = (r: number, g: number, b: number) => sharp({ create: { width: 96, height: 64, channels: 3, background: { r, g, b } } });
    await solid(200, 30, 30).jpeg().toFile(join(folder, 'a-red.jpg'));
    await solid(201, 31, 30).jpeg().toFile(join(folder, 'b-red.jpg'));
    await solid(20, 180, 40).jpeg().toFile(join(folder, 'c-green.jpg'));
    const listed = await runCli(['review', folder, '--model', model, '--list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const queue = JSON.parse(listed.stdout) as Listed[];
    expect(queue.reduce((n, q) => n + q.size, 0)).toBe(3);
    for (const q of queue) {
      expect(q.pts_seconds).toBeUndefined();
      expect(q.path.startsWith(folder)).toBe(true);
    }

    const labels = join(dir, 'stills-labels.csv');
    const server = await start([folder, '--model', model, '--labels', labels, '--port', '0', '-q']);
    const state = (await (await fetch(`${server.url}api/state`)).json()) as { items: { group: string; size: number }[] };
    expect(state.items.map((i) => i.group)).toEqual(queue.map((q) => q.group));
    const picture = await fetch(`${server.url}api/picture?group=${state.items[0]!.group}&heat=1`);
    expect(picture.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await picture.arrayBuffer())).metadata()).width).toBe(96);
    const decided = await fetch(`${server.url}api/decision`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ group: state.items[0]!.group, labels: { floor: 'reef', element: 'fauna' } }),
    });
    expect(((await decided.json()) as { frames: number }).frames).toBe(state.items[0]!.size);
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(ExitCode.interrupted);
    const lines = readFileSync(labels, 'utf8').trim().split('\r\n').slice(1);
    expect(lines).toHaveLength(state.items[0]!.size);
    for (const line of lines) expect(line).toMatch(/^stills\/[a-c]-\w+\.jpg,,reef,fauna,/);
  });
});

describe('rovlens review server', () => {
  it('keeps to the live conventions: token on the API, loopback Host only, same-origin JSON writes', async () => {
    const labels = join(dir, 'token.csv');
    const server = await start([clip, '--model', model, '--labels', labels, '--port', '0', '--token', 'a-review-secret', '-q']);
    const api = `${server.url}api/state`;
    expect((await fetch(server.url)).status).toBe(200);
    // A page from a rebinding attacker's name reaches the loopback port but names its own Host.
    expect(await statusWithHost(server.url, 'rebound.example:80')).toBe(403);
    // A name that merely starts like a loopback address is the attacker's too.
    expect(await statusWithHost(server.url, `127.0.0.1.evil.example:${new URL(server.url).port}`)).toBe(403);
    expect(await statusWithHost(server.url, `localhost:${new URL(server.url).port}`)).toBe(200);
    expect((await fetch(api)).status).toBe(401);
    expect((await fetch(`${api}?token=wrong-secret`)).status).toBe(401);
    const state = (await (await fetch(api, { headers: { Authorization: 'Bearer a-review-secret' } })).json()) as {
      items: { group: string }[];
    };
    const group = state.items[0]!.group;
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${server.url}api/decision?token=a-review-secret`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect((await post({ 'Content-Type': 'text/plain' }, { group, labels: { floor: 'sandy' } })).status).toBe(415);
    expect(
      (await post({ 'Content-Type': 'application/json', Origin: 'http://evil.example' }, { group, labels: { floor: 'sandy' } })).status,
    ).toBe(403);
    const badLabel = await post({ 'Content-Type': 'application/json' }, { group, labels: { floor: 'gravel' } });
    expect(badLabel.status).toBe(400);
    expect(((await badLabel.json()) as { error: string }).error).toMatch(/floor 'gravel' is not a label of the model card/);
    expect((await post({ 'Content-Type': 'application/json' }, { group, labels: { floor: 'sandy', element: null } })).status).toBe(200);
    expect(readFileSync(labels, 'utf8')).toContain(',sandy,,');
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(ExitCode.interrupted);
  });

  it('refuses a second reviewer on the same labels file in one line (exit 6), and the first goes on', async () => {
    const labels = join(dir, 'shared.csv');
    const first = await start([clip, '--model', model, '--labels', labels, '--port', '0', '-q']);
    const second = await runCli(['review', clip, '--model', model, '--labels', labels, '--port', '0']);
    expect(second.code).toBe(ExitCode.output);
    expect(oneLine(second.stderr)).toMatch(/shared\.csv is being reviewed by another process \(pid \d+\); one reviewer per labels file/);
    const state = await fetch(`${first.url}api/state`);
    expect(state.status).toBe(200);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(ExitCode.interrupted);
    expect(existsSync(`${labels}.lock`)).toBe(false);
  });
});

describe('rovlens review stopped while it classifies', () => {
  it('stops the decoder on Ctrl-C, exits 130 and leaves neither a labels file nor a lock', async () => {
    const long = makeClip('review-long', { width: 160, height: 120, seconds: 30, fps: 25, codec: CODECS.h264, ext: 'mp4' });
    const labels = join(dir, 'stopped.csv');
    const result = runCli(['review', long, '--model', model, '--labels', labels, '--every', '0', '--port', '0'], {
      onSpawn: (child) => {
        // The lock appears once the review owns the labels file; Ctrl-C then lands mid-classification.
        const poll = setInterval(() => {
          if (existsSync(`${labels}.lock`)) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 20);
        child.on('exit', () => clearInterval(poll));
      },
    });
    const { code, stderr } = await result;
    expect(code, stderr).toBe(ExitCode.interrupted);
    expect(stderr).toMatch(/stopped before the page opened; nothing was reviewed/);
    expect(stderr).not.toMatch(/page at/);
    expect(existsSync(labels)).toBe(false);
    expect(existsSync(`${labels}.lock`)).toBe(false);
  });
});

describe('rovlens review refuses bad input in one line', () => {
  const refused = async (args: string[], code: number, message: RegExp) => {
    const result = await runCli(['review', ...args]);
    expect(result.code, result.stderr).toBe(code);
    expect(oneLine(result.stderr)).toMatch(message);
  };

  it('a labels file from another recording (exit 4), left as it was', async () => {
    const labels = join(dir, 'other-recording.csv');
    const text = manifestHeader() + row({ source: join(dir, 'another-dive.mp4') }, labels);
    writeFileSync(labels, text);
    await refused(
      [clip, '--model', model, '--labels', labels, '--port', '0'],
      ExitCode.inputInvalid,
      /holds labels for .*another-dive\.mp4, which is not among the inputs/,
    );
    expect(readFileSync(labels, 'utf8')).toBe(text);
    expect(existsSync(`${labels}.lock`)).toBe(false);
  });

  it('a label that is not in the model card (exit 4)', async () => {
    const labels = join(dir, 'gravel.csv');
    writeFileSync(labels, manifestHeader() + row({ floor: 'gravel' }, labels));
    await refused(
      [clip, '--model', model, '--labels', labels, '--port', '0'],
      ExitCode.inputInvalid,
      /floor 'gravel' is not a label of the model card \(sandy, muddy, muddy-sand, reef\)/,
    );
  });

  it('a labels file that is not a labels manifest (exit 4)', async () => {
    const labels = join(dir, 'timeline.csv');
    writeFileSync(labels, 'source,frame_index,pts_seconds\r\nx.mp4,0,0\r\n');
    await refused(
      [clip, '--model', model, '--labels', labels, '--port', '0'],
      ExitCode.inputInvalid,
      /not a labels manifest: missing columns/,
    );
  });

  it('a missing input (exit 3), without creating a labels file', async () => {
    const labels = join(dir, 'never.csv');
    await refused([join(dir, 'missing.mp4'), '--model', model, '--labels', labels, '--port', '0'], ExitCode.inputMissing, /missing\.mp4/);
    expect(existsSync(labels)).toBe(false);
  });

  it('binding beyond loopback without a token (exit 2)', async () => {
    await refused(
      [clip, '--model', model, '--host', '0.0.0.0'],
      ExitCode.usage,
      /^rovlens: --token: binding 0\.0\.0\.0 exposes the review/,
    );
  });

  it('a labels manifest given to review without --list (exit 2)', async () => {
    const labels = join(dir, 'as-input.csv');
    writeFileSync(labels, manifestHeader());
    await refused([labels, '--model', model], ExitCode.usage, /is a labels manifest: review its recordings/);
  });
});
