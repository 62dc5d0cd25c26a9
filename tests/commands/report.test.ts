/**
 * `rovlens report` as a user runs it: generated clips through `rovlens timeline --format jsonl` with
 * the tiny model (red -> fauna, green -> algae, white -> rocks), then the report opened in Debian's
 * Chromium (driven by playwright-core, which downloads nothing): no console errors, no network
 * requests, and the numbers on the page equal summary.csv.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../helpers/chromium.js';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { ffmpeg } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const SIZE = '160x120';
const VIDEO_START = '2026-05-14T09:30:00Z';

function colourClip(path: string, parts: [colour: string, seconds: number][]): void {
  const inputs = parts.flatMap(([c, s]) => ['-f', 'lavfi', '-i', `color=c=${c}:size=${SIZE}:rate=10:duration=${s}`]);
  const concat = `${parts.map((_, i) => `[${i}:v]`).join('')}concat=n=${parts.length}:v=1[v]`;
  ffmpeg([
    ...inputs,
    '-filter_complex',
    concat,
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '10',
    '-pix_fmt',
    'yuv420p',
    path,
  ]);
}

type SummaryRow = Record<string, string>;

describe('rovlens report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-report-'));
  const runs = join(dir, 'runs');
  const redGreen = join(dir, 'red-green.mp4');
  const white = join(dir, 'white.mp4');
  const reportPath = join(dir, 'out', 'cruise.html');
  let report: CliResult;
  let summary: SummaryRow[];
  let html: string;
  let modelPath: string;

  beforeAll(async () => {
    modelPath = writeTinyModel(join(dir, 'model')).modelPath;
    colourClip(redGreen, [
      ['red', 2],
      ['green', 2],
    ]);
    colourClip(white, [['white', 2]]);
    // A made-up log, one fix a second, moving east: the track for the first video.
    const nav = join(dir, 'nav.csv');
    writeFileSync(
      nav,
      [
        'time_utc,latitude,longitude,depth_m',
        ...Array.from({ length: 8 }, (_, i) => `2026-05-14T09:30:0${i}Z,43.65,${(7.35 + i * 1e-5).toFixed(5)},38`),
      ].join('\n'),
    );
    const timeline = (input: string, ...extra: string[]) =>
      runCli([
        'timeline',
        input,
        '--model',
        modelPath,
        '--every',
        '0.5',
        '--format',
        'jsonl',
        '-o',
        join(runs, `${basename(input, '.mp4')}.jsonl`),
        '-q',
        ...extra,
      ]);
    for (const made of [await timeline(redGreen, '--nav', nav, '--video-start', VIDEO_START), await timeline(white)]) {
      expect(made.stderr).toBe('');
      expect(made.code).toBe(0);
    }
    report = await runCli(['report', runs, '-o', reportPath, '--title', 'Test cruise']);
    html = readFileSync(reportPath, 'utf8');
    summary = parse(readFileSync(join(dir, 'out', 'summary.csv'), 'utf8'), { columns: true }) as SummaryRow[];
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const row = (scope: string, video: string, head: string, cls: string) =>
    summary.find((r) => r.scope === scope && r.video === video && r.head === head && r.class === cls)!;

  it('writes the page, and summary.csv beside it, with one line to say so', () => {
    expect(report.code).toBe(ExitCode.ok);
    expect(report.stderr.trim().split('\n')).toHaveLength(1);
    expect(report.stderr).toContain('2 videos');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it("counts each video's time per class, each row standing for the time until the next", () => {
    // Rows every 0.5 s: 0-2 s red (fauna), 2-4 s green (algae).
    expect(row('video', redGreen, 'element', 'fauna')).toMatchObject({
      seconds: '2',
      share: '0.5',
      frames: '4',
      first_seen: '00:00:00.000',
    });
    expect(row('video', redGreen, 'element', 'algae')).toMatchObject({
      seconds: '2',
      share: '0.5',
      frames: '4',
      last_seen: '00:00:03.500',
    });
    expect(row('video', white, 'element', 'rocks')).toMatchObject({ seconds: '2', share: '1', frames: '4' });
    for (const head of ['floor', 'element']) {
      for (const [video, seconds] of [
        [redGreen, 4],
        [white, 2],
        ['', 6],
      ] as const) {
        const rows = summary.filter((r) => r.video === video && r.head === head);
        expect(rows.reduce((s, r) => s + Number(r.seconds), 0)).toBeCloseTo(seconds, 6);
      }
    }
  });

  it('adds the videos up in one row per class for the whole run', () => {
    expect(row('run', '', 'element', 'rocks')).toMatchObject({ seconds: '2', share: '0.3333', frames: '4', first_seen_video: white });
    expect(row('run', '', 'element', 'fauna')).toMatchObject({ seconds: '2', first_seen_video: redGreen, last_seen_video: redGreen });
  });

  it('inlines a thumbnail per segment, taken at the segment (red for fauna, green for algae)', async () => {
    const segmentPictures = [
      ...html.matchAll(/<tr data-head="element" data-label="(\w+)"><td><img class="thumb" src="data:image\/jpeg;base64,([^"]+)"/g),
    ];
    const byLabel = Object.fromEntries(segmentPictures.map((m) => [m[1], m[2]]));
    expect(Object.keys(byLabel).sort()).toEqual(['algae', 'fauna', 'rocks']);
    const mean = async (b64: string) => (await sharp(Buffer.from(b64, 'base64')).stats()).channels.map((c) => c.mean);
    const [fr, fg] = await mean(byLabel.fauna!);
    const [ar, ag] = await mean(byLabel.algae!);
    expect(fr).toBeGreaterThan(fg! + 100);
    expect(ag).toBeGreaterThan(ar! + 60);
  });

  it('draws the vehicle track for the video with a navigation log, and the command lines that made the runs', () => {
    expect(html).toMatch(/<svg class="track"[^>]*>.*<line /s);
    expect(html).toContain(`rovlens timeline ${redGreen} --model`);
    expect(html).toContain(`rovlens report ${runs} -o ${reportPath} --title &#39;Test cruise&#39;`);
    expect(html).toContain('<h3>Measured accuracy</h3>');
  });

  describe.skipIf(!existsSync(CHROMIUM))('opened from a file in Chromium', () => {
    let browser: Browser;
    const seen = { consoleErrors: [] as string[], requests: [] as string[], cells: [] as Record<string, string>[], images: 0 };

    beforeAll(async () => {
      browser = await chromium.launch(CHROMIUM_LAUNCH);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('console', (m) => m.type() === 'error' && seen.consoleErrors.push(m.text()));
      page.on('pageerror', (e) => seen.consoleErrors.push(e.message));
      page.on('request', (r) => seen.requests.push(r.url()));
      await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load' });
      seen.cells = await page.$$eval('tr[data-scope]', (rows) =>
        rows.map((tr) => {
          const cells: Record<string, string> = { ...(tr as HTMLElement).dataset } as Record<string, string>;
          for (const td of tr.querySelectorAll('td[data-col]')) cells[(td as HTMLElement).dataset.col!] = td.textContent ?? '';
          return cells;
        }),
      );
      seen.images = await page.$$eval('img', (imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length);
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    }, 60_000);

    afterAll(async () => browser?.close());

    it('logs no errors and fetches nothing but the page itself', () => {
      expect(seen.consoleErrors).toEqual([]);
      expect(seen.requests).toEqual([pathToFileURL(reportPath).href]);
    });

    it('shows the pictures it carries', () => {
      expect(seen.images).toBeGreaterThan(3);
      expect(existsSync(join(dir, 'report.png'))).toBe(true);
    });

    it('shows the numbers of summary.csv, every row of it', () => {
      expect(seen.cells).toHaveLength(summary.length);
      for (const r of summary) {
        const shown = seen.cells.find((c) => c.scope === r.scope && c.video === r.video && c.head === r.head && c.class === r.class);
        expect(shown, `${r.scope} ${r.video} ${r.head} ${r.class}`).toBeDefined();
        expect(shown!.seconds).toBe(r.seconds);
        expect(Number(shown!.share!.replace(' %', '')) / 100).toBeCloseTo(Number(r.share), 9);
        expect(shown!.frames).toBe(r.frames);
        expect(shown!.main_frames).toBe(r.main_frames);
        const first = r.scope === 'run' && r.first_seen ? `${basename(r.first_seen_video!)} ${r.first_seen}` : r.first_seen;
        expect(shown!.first_seen).toBe(first);
      }
    });
  });

  describe('bad input', () => {
    it('refuses a run file from an older rovlens in one line (exit 4), writing nothing', async () => {
      const old = join(dir, 'old.jsonl');
      // Before run headers: frame records only.
      writeFileSync(old, readFileSync(join(runs, 'white.jsonl'), 'utf8').split('\n').slice(1).join('\n'));
      const result = await runCli(['report', old, '-o', join(dir, 'old', 'report.html')]);
      expect(result.code).toBe(ExitCode.inputInvalid);
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^rovlens: .*older rovlens/)]);
      expect(existsSync(join(dir, 'old'))).toBe(false);
    });

    it('writes the report without thumbnails when a video moved, saying so in one warning line', async () => {
      const moving = join(dir, 'moving.mp4');
      copyFileSync(white, moving);
      const run = join(dir, 'moving.jsonl');
      const made = await runCli(['timeline', moving, '--model', modelPath, '--format', 'jsonl', '-o', run, '-q']);
      expect(made.code).toBe(0);
      mkdirSync(join(dir, 'elsewhere'));
      renameSync(moving, join(dir, 'elsewhere', 'moving.mp4'));
      const out = join(dir, 'moved', 'report.html');
      const result = await runCli(['report', run, '-o', out, '-q']);
      expect(result.code).toBe(ExitCode.ok);
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^rovlens: warning: .*${moving}.*thumbnails are left out`)),
      ]);
      const page = readFileSync(out, 'utf8');
      expect(page).not.toContain('data:image/jpeg');
      expect(page).toContain('thumbnails are left out');
      // Told where it is now, the pictures come back.
      const found = await runCli(['report', run, '-o', out, '-q', '--videos', join(dir, 'elsewhere')]);
      expect(found.stderr).toBe('');
      expect(readFileSync(out, 'utf8')).toContain('data:image/jpeg');
    });

    it('asks for runs when none are given (exit 2), and says a folder without any holds none (exit 3)', async () => {
      const none = await runCli(['report', '-o', join(dir, 'none.html')]);
      expect(none.code).toBe(ExitCode.usage);
      expect(none.stderr).toContain("missing required argument 'runs'");
      mkdirSync(join(dir, 'empty'));
      const empty = await runCli(['report', join(dir, 'empty'), '-o', join(dir, 'none.html')]);
      expect(empty.code).toBe(ExitCode.inputMissing);
      expect(empty.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^rovlens: .*holds no run files/)]);
      expect(existsSync(join(dir, 'none.html'))).toBe(false);
    });
  });
});
