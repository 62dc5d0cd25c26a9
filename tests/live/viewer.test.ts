/**
 * The viewer page in a real browser: headless Chromium (Debian's, driven by playwright-core, which
 * downloads nothing) opens the page of a live run and sees frames arrive and labels change, on the
 * whole source frame scaled to the display width with the model's crop outlined.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../helpers/chromium.js';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { parseLiveOptions } from '../../src/config/live.js';
import { relativeCenterCrop } from '../../src/geometry.js';
import { runLive, type LiveSummary } from '../../src/runners/live.js';
import { nmeaChecksum } from '../../src/telemetry/nmea.js';
import { ffmpeg } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const TOKEN = 'viewer-test-token';
// A 320x240 source shown 200 pixels wide: the picture is the whole frame, scaled down.
const SOURCE = { width: 320, height: 240 };
const DISPLAY_WIDTH = 200;

if (!existsSync(CHROMIUM))
  console.warn(
    `[rovlens tests] skipping the viewer page tests: no Chromium at ${CHROMIUM} (Debian package 'chromium', installed by .ci/run)`,
  );

describe.skipIf(!existsSync(CHROMIUM))('the live viewer page in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-viewer-'));
  let browser: BrowserContext;
  let page: Page;
  let tiny: ReturnType<typeof writeTinyModel>;
  let run: Promise<LiveSummary>;
  let stop!: () => void;
  const seen = { elementLabels: [] as string[], framesDrawn: 0, status: '', rates: '', nav: '', consoleErrors: [] as string[] };
  const navSender = createSocket('udp4');
  let navTimer: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    tiny = writeTinyModel(join(dir, 'model'));
    // The browser starts first (the slow part on a busy machine), so the page is open while it is red.
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), { ...CHROMIUM_LAUNCH, headless: true });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (m) => m.type() === 'error' && seen.consoleErrors.push(m.text()));
    page.on('pageerror', (e) => seen.consoleErrors.push(e.message));
    // 3 s of red, then 2 s of green: the tiny model calls them 'fauna' and 'algae'.
    const clip = join(dir, 'red-green.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `color=c=red:size=${SOURCE.width}x${SOURCE.height}:rate=10:duration=3`,
      '-f',
      'lavfi',
      '-i',
      `color=c=green:size=${SOURCE.width}x${SOURCE.height}:rate=10:duration=2`,
      '-filter_complex',
      '[0:v][1:v]concat=n=2:v=1[v]',
      '-map',
      '[v]',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    const options = parseLiveOptions({
      server: { port: 0, token: TOKEN },
      source: { realtime: true },
      pipeline: { model: tiny.modelPath, statsIntervalSeconds: 0.25, displayWidth: DISPLAY_WIDTH, navUdp: { host: '127.0.0.1', port: 0 } },
    });
    let url!: (value: string) => void;
    const listening = new Promise<string>((r) => (url = r));
    run = runLive(clip, options, {
      // A USBL's fix and a gyro's heading, 10 a second, to the port the feed says it listens on.
      notice: (line) => {
        const port = /navigation from NMEA 0183 on udp 127\.0\.0\.1:(\d+)/.exec(line)?.[1];
        if (!port) return;
        const fix = (body: string) => `$${body}*${nmeaChecksum(body)}\r\n`;
        navTimer = setInterval(
          () =>
            navSender.send(
              fix('GPGGA,010203.00,4338.9000,N,00721.0000,E,1,10,0.8,-38.4,M,,,,') + fix('HEHDT,91.0,T'),
              Number(port),
              '127.0.0.1',
            ),
          100,
        );
      },
      handleSignals: false,
      stop: new Promise((r) => (stop = r)),
      onListening: (s) => url(s.url),
    });
    await page.goto(`${await listening}?token=${TOKEN}`);
    // Sample the page as the clip plays: bounded by the clip's length plus a margin.
    for (let i = 0; i < 80; i++) {
      const label = (await page.textContent('#element-label')) ?? '';
      if (label && label !== '-' && seen.elementLabels.at(-1) !== label.split(' ')[0]) seen.elementLabels.push(label.split(' ')[0]!);
      seen.framesDrawn = Number(await page.textContent('#frames-drawn'));
      seen.status ||= (await page.getAttribute('#source-status', 'data-state')) === 'live' ? 'live' : '';
      seen.rates = (await page.textContent('#rates')) ?? '';
      // The first results may come before the first fix ('no position'); keep the latest position shown.
      const nav = (await page.textContent('#nav')) ?? '';
      if (nav.includes('°')) seen.nav = nav;
      if (seen.elementLabels.includes('algae') && seen.framesDrawn > 10) break;
      await page.waitForTimeout(100);
    }
  }, 60_000);

  afterAll(async () => {
    clearInterval(navTimer);
    navSender.close();
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

  it("shows the vehicle's position and heading from the navigation feed", () => {
    expect(seen.nav).toBe('43.648333° N 7.350000° E · heading 91° · altitude -38.4 m');
  });

  it('draws probability bars whose widths follow the probabilities', async () => {
    const widths = await page.$$eval('.bar[data-head="element"] .fill', (els) =>
      els.map((e) => parseFloat((e as HTMLElement).style.width)),
    );
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

  it('shows the whole source frame scaled to the display width, not the model crop', async () => {
    expect(await page.textContent('#picture-size')).toBe(
      `${DISPLAY_WIDTH}×${(SOURCE.height * DISPLAY_WIDTH) / SOURCE.width} px of ${SOURCE.width}×${SOURCE.height}`,
    );
    const canvas = await page.$eval('#frame', (c) => ({ width: (c as HTMLCanvasElement).width, height: (c as HTMLCanvasElement).height }));
    expect(canvas.width / canvas.height).toBeCloseTo(SOURCE.width / SOURCE.height, 2);
  });

  it("outlines the model's crop at its edges and nowhere in the middle", async () => {
    const crop = relativeCenterCrop(SOURCE, tiny.card.crop);
    // Fraction of rows with an outline-coloured pixel within 3 canvas pixels of column x.
    const outlineRows = (fractionX: number) =>
      page.$eval(
        '#frame',
        (c, fx) => {
          const canvas = c as HTMLCanvasElement;
          const x = Math.round(fx * canvas.width);
          const data = canvas.getContext('2d')!.getImageData(Math.max(0, x - 3), 0, 7, canvas.height).data;
          // The page's outline colour (viewer.js CROP_OUTLINE, #00e5ff): neither the frame, the heat nor the boxes.
          const isOutline = (r: number, g: number, b: number) => r < 100 && g > 180 && b > 200;
          let rows = 0;
          for (let y = 0; y < canvas.height; y++) {
            let hit = false;
            for (let i = 0; i < 7; i++) hit ||= isOutline(data[(y * 7 + i) * 4]!, data[(y * 7 + i) * 4 + 1]!, data[(y * 7 + i) * 4 + 2]!);
            if (hit) rows++;
          }
          return rows / canvas.height;
        },
        fractionX,
      );
    // Dashed 6 on, 4 off: about 60 % of the rows along each vertical edge.
    expect(await outlineRows(crop.x / SOURCE.width)).toBeGreaterThan(0.4);
    expect(await outlineRows((crop.x + crop.width) / SOURCE.width)).toBeGreaterThan(0.4);
    expect(await outlineRows(0.5)).toBeLessThan(0.05);
    expect(await outlineRows(0.05)).toBeLessThan(0.05);
  });

  it('runs without script errors', () => {
    expect(seen.consoleErrors).toEqual([]);
  });
});
