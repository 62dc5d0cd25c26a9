/**
 * The viewer page in a real browser: headless Chromium (Debian's, driven by playwright-core, which
 * downloads nothing) opens the page of a live run and sees frames arrive and labels change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { parseLiveOptions } from '../../src/config/live.js';
import { runLive, type LiveSummary } from '../../src/live/run.js';
import { ffmpeg } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'viewer-test-token';

if (!existsSync(CHROMIUM)) console.warn(`[rovlens tests] skipping the viewer page tests: no Chromium at ${CHROMIUM} (Debian package 'chromium', installed by .ci/run)`);

describe.skipIf(!existsSync(CHROMIUM))('the live viewer page in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-viewer-'));
  let browser: BrowserContext;
  let page: Page;
  let run: Promise<LiveSummary>;
  let stop!: () => void;
  const seen = { elementLabels: [] as string[], framesDrawn: 0, status: '', rates: '', consoleErrors: [] as string[] };

  beforeAll(async () => {
    const tiny = writeTinyModel(join(dir, 'model'));
    // The browser starts first (the slow part on a busy machine), so the page is open while it is red.
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (m) => m.type() === 'error' && seen.consoleErrors.push(m.text()));
    page.on('pageerror', (e) => seen.consoleErrors.push(e.message));
    // 3 s of red, then 2 s of green: the tiny model calls them 'fauna' and 'algae'.
    const clip = join(dir, 'red-green.mp4');
    ffmpeg([
      '-f', 'lavfi', '-i', 'color=c=red:size=160x120:rate=10:duration=3',
      '-f', 'lavfi', '-i', 'color=c=green:size=160x120:rate=10:duration=2',
      '-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip,
    ]);
    const options = parseLiveOptions({
      server: { port: 0, token: TOKEN },
      source: { realtime: true },
      pipeline: { model: tiny.modelPath, statsIntervalSeconds: 0.25 },
    });
    let url!: (value: string) => void;
    const listening = new Promise<string>((r) => (url = r));
    run = runLive(clip, options, { notice: () => undefined, handleSignals: false, stop: new Promise((r) => (stop = r)), onListening: (s) => url(s.url) });
    await page.goto(`${await listening}?token=${TOKEN}`);
    // Sample the page as the clip plays: bounded by the clip's length plus a margin.
    for (let i = 0; i < 80; i++) {
      const label = (await page.textContent('#element-label')) ?? '';
      if (label && label !== '-' && seen.elementLabels.at(-1) !== label.split(' ')[0]) seen.elementLabels.push(label.split(' ')[0]!);
      seen.framesDrawn = Number(await page.textContent('#frames-drawn'));
      seen.status ||= (await page.getAttribute('#source-status', 'data-state')) === 'live' ? 'live' : '';
      seen.rates = (await page.textContent('#rates')) ?? '';
      if (seen.elementLabels.includes('algae') && seen.framesDrawn > 10) break;
      await page.waitForTimeout(100);
    }
  }, 60_000);

  afterAll(async () => {
    stop?.();
    await run?.catch(() => undefined);
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws frames as they arrive', () => {
    expect(seen.framesDrawn).toBeGreaterThan(10);
  });

  it('shows the element label change from fauna (red) to algae (green)', () => {
    expect(seen.elementLabels.slice(0, 2)).toEqual(['fauna', 'algae']);
  });

  it('shows the source as live and the frame rates', () => {
    expect(seen.status).toBe('live');
    expect(seen.rates).toMatch(/^\d+\.\d fps in \/ \d+\.\d fps out$/);
  });

  it('draws probability bars whose widths follow the probabilities', async () => {
    const widths = await page.$$eval('.bar[data-head="element"] .fill', (els) => els.map((e) => parseFloat((e as HTMLElement).style.width)));
    expect(widths).toHaveLength(5);
    expect(widths.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
  });

  it('paints the rolling timeline strip', async () => {
    const painted = await page.$eval('#timeline', (c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(0);
  });

  it('runs without script errors', () => {
    expect(seen.consoleErrors).toEqual([]);
  });
});
