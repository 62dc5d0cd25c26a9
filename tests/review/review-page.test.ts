/**
 * The review page in a real browser: `rovlens review` runs as a user runs it (a separate process on a
 * generated clip, the tiny model), headless Chromium (Debian's, driven by playwright-core) confirms
 * and corrects groups by keyboard and by click, draws a box, undoes; the server is killed mid-review
 * (SIGKILL: no chance to tidy up) and reopened on the same labels file, and the review resumes.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../helpers/chromium.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, type ManifestRow } from '../../src/review/manifest.js';
import { runCli } from '../helpers/cli.js';
import { ffmpeg } from '../helpers/clips.js';
import { ELEMENT_LABELS, FLOOR_LABELS, writeTinyModel } from '../helpers/tiny-model.js';
import { startReview } from '../helpers/review-server.js';

if (!existsSync(CHROMIUM))
  console.warn(
    `[rovlens tests] skipping the review page tests: no Chromium at ${CHROMIUM} (Debian package 'chromium', installed by .ci/run)`,
  );

const rowsOf = (path: string): ManifestRow[] => parseManifest(readFileSync(path, 'utf8'), path).rows;
const byGroup = (rows: ManifestRow[]) => {
  const groups = new Map<string, ManifestRow[]>();
  for (const r of rows) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return groups;
};

describe.skipIf(!existsSync(CHROMIUM))('the review page in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rovlens-review-page-'));
  const labels = join(dir, 'labels.csv');
  let browser: Browser;
  let page: Page;
  let clip: string;
  let model: string;
  const consoleErrors: string[] = [];

  /** What the page shows now: the group, its size line, the progress pill, the selected labels. */
  const shown = async () => ({
    group: ((await page.textContent('#group-title')) ?? '').replace('group ', ''),
    size: (await page.textContent('#group-size')) ?? '',
    progress: (await page.textContent('#progress')) ?? '',
    floor: await page.getAttribute('#heads button.selected[data-head="floor"]', 'data-label'),
    element: await page.getAttribute('#heads button.selected[data-head="element"]', 'data-label'),
  });
  const waitProgress = (text: string) => page.waitForFunction((t) => document.getElementById('progress')?.textContent === t, text);

  beforeAll(async () => {
    model = writeTinyModel(join(dir, 'model')).modelPath;
    browser = await chromium.launch(CHROMIUM_LAUNCH);
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    // Four scenes of 4, 3, 2 and 3 seconds: 12 frames at one a second, in at least four groups.
    clip = join(dir, 'scenes.mp4');
    const scenes = ['color=c=red', 'smptebars', 'color=c=green', 'testsrc2'];
    const seconds = [4, 3, 2, 3];
    ffmpeg([
      ...scenes.flatMap((s, i) => ['-f', 'lavfi', '-i', `${s}${s.includes('=') ? ':' : '='}size=320x240:rate=10:duration=${seconds[i]}`]),
      '-filter_complex',
      `${scenes.map((_, i) => `[${i}:v]`).join('')}concat=n=4:v=1[v]`,
      '-map',
      '[v]',
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip],
    ]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('confirms and corrects groups by keyboard and click, survives a kill, resumes, and leaves a complete manifest', async () => {
    // The queue without a server: the page must show the same groups in the same order.
    const listed = await runCli(['review', clip, '--model', model, '--list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const queue = JSON.parse(listed.stdout) as { group: string; size: number; pts_seconds: number }[];
    const total = queue.length;
    expect(total).toBeGreaterThanOrEqual(4);
    expect(queue.reduce((n, q) => n + q.size, 0)).toBe(12);

    const common = [clip, '--model', model, '--labels', labels, '--port', '0', '--reviewer', 'tester', '--display-width', '200'];
    // The first session needs a token (the page passes it on to every API call and picture); the
    // second, after the crash, runs without one.
    let server = await startReview([...common, '--token', 'page-test-token']);
    await page.goto(`${server.url}?token=page-test-token`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#progress')).toBe(`0 / ${total} groups reviewed`);
    expect(await page.textContent('#frames-covered')).toBe('0 / 12 frames covered');

    // 1. Keyboard, confirm both: Enter takes the model's answer, which starts out selected.
    const first = await shown();
    expect(first.group).toBe(queue[0]!.group);
    expect(first.size).toMatch(/^labels \d+ frames?$/);
    expect(FLOOR_LABELS).toContain(first.floor);
    expect(ELEMENT_LABELS).toContain(first.element);
    await page.keyboard.press('Enter');
    await waitProgress(`1 / ${total} groups reviewed`);
    expect(await page.textContent('#saved')).toBe(`saved group ${first.group}: ${first.size}`);

    // 2. Keyboard, correct both: up to the floor row, 4 = reef; down to the element row, 4 = waste.
    const second = await shown();
    expect(second.group).toBe(queue[1]!.group);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('4');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('4');
    expect(await shown()).toMatchObject({ floor: 'reef', element: 'waste' });
    await page.keyboard.press('Enter');
    await waitProgress(`2 / ${total} groups reviewed`);

    // 3. Click: correct the element to rocks, drag a box, save with the button.
    const third = await shown();
    await page.click('#heads button[data-head="element"][data-label="rocks"]');
    const picture = (await page.locator('#frame').boundingBox())!;
    await page.mouse.move(picture.x + picture.width * 0.25, picture.y + picture.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(picture.x + picture.width * 0.5, picture.y + picture.height * 0.4, { steps: 4 });
    await page.mouse.move(picture.x + picture.width * 0.75, picture.y + picture.height * 0.6, { steps: 4 });
    await page.mouse.up();
    expect(await page.isVisible('#box')).toBe(true);
    await page.click('#save');
    await waitProgress(`3 / ${total} groups reviewed`);
    const boxed = byGroup(rowsOf(labels)).get(third.group)!;
    expect(boxed).toHaveLength(queue[2]!.size);
    expect(boxed[0]!.element).toBe('rocks');
    expect(boxed[0]!.box!.x0).toBeCloseTo(0.25, 1);
    expect(boxed[0]!.box!.y0).toBeCloseTo(0.2, 1);
    expect(boxed[0]!.box!.x1).toBeCloseTo(0.75, 1);
    expect(boxed[0]!.box!.y1).toBeCloseTo(0.6, 1);

    // 4. Undo by key, then decide again by click (floor unsure): the undo left no rows behind.
    await page.keyboard.press('u');
    await waitProgress(`2 / ${total} groups reviewed`);
    expect((await shown()).group).toBe(third.group);
    expect(byGroup(rowsOf(labels)).has(third.group)).toBe(false);
    await page.click('#heads button[data-head="floor"][data-label=""]');
    await page.click('#save');
    await waitProgress(`3 / ${total} groups reviewed`);
    const fourth = await shown();

    // The heatmap toggle swaps the picture for one with the element heatmap.
    const plainSrc = await page.getAttribute('#frame', 'src');
    await page.keyboard.press('h');
    await page.waitForFunction(() => (document.getElementById('frame') as HTMLImageElement).complete);
    expect(await page.getAttribute('#frame', 'src')).toBe(plainSrc!.replace('heat=0', 'heat=1'));
    expect(plainSrc).toContain('token=page-test-token');
    // The whole 320-pixel frame, scaled down to the display width.
    expect(await page.evaluate(() => (document.getElementById('frame') as HTMLImageElement).naturalWidth)).toBe(200);

    // A crash: SIGKILL, no chance to release the lock or tidy up. Everything decided is on disk.
    server.child.kill('SIGKILL');
    await server.exited;
    const afterCrash = byGroup(rowsOf(labels));
    expect([...afterCrash.keys()].sort()).toEqual([first.group, second.group, third.group].sort());

    // Reopened on the same labels: the page resumes at the group not reviewed yet.
    server = await startReview(common);
    expect(server.stderr()).toMatch(/resuming: 3 groups \(\d+ frames\) already reviewed/);
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#progress')).toBe(`3 / ${total} groups reviewed`);
    expect((await shown()).group).toBe(fourth.group);
    await page.click('#save');
    await waitProgress(`4 / ${total} groups reviewed`);
    // The rest confirmed by keyboard.
    for (let done = 5; done <= total; done++) {
      await page.keyboard.press('Enter');
      await waitProgress(`${done} / ${total} groups reviewed`);
    }
    expect(await page.textContent('#frames-covered')).toBe('12 / 12 frames covered');
    expect(await page.textContent('#message')).toMatch(/every group is reviewed/);
    // Agreement per class: the first group was confirmed, so its labels agree on every frame.
    expect(await page.textContent('#agreement .agreement-summary[data-head="floor"]')).toMatch(/^floor: \d+ % of \d+ labelled frames$/);

    // Ctrl-C: a clean stop, exit 130, the lock released.
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(130);
    expect(existsSync(`${labels}.lock`)).toBe(false);

    // The manifest: every frame once, a group's rows alike, the decisions as made.
    const rows = rowsOf(labels);
    expect(rows).toHaveLength(12);
    expect(readFileSync(labels, 'utf8').split('\r\n')[0]).toBe(
      'source,pts_seconds,floor,element,group,box_x0,box_y0,box_x1,box_y1,crop,reviewer,reviewed_at,predicted_floor,predicted_element',
    );
    const groups = byGroup(rows);
    expect(groups.size).toBe(total);
    for (const q of queue) expect(groups.get(q.group)).toHaveLength(q.size);
    for (const members of groups.values()) {
      expect(new Set(members.map((r) => `${r.floor}|${r.element}|${JSON.stringify(r.box)}`)).size).toBe(1);
      for (const r of members) {
        expect(r.source).toBe(clip);
        expect(r.reviewer).toBe('tester');
        expect(r.crop).toEqual({ widthFraction: 0.67, heightFraction: 1 });
        expect(FLOOR_LABELS).toContain(r.predictedFloor);
        expect(ELEMENT_LABELS).toContain(r.predictedElement);
        expect(Date.parse(r.reviewedAt)).toBeGreaterThan(0);
      }
    }
    expect(groups.get(first.group)![0]).toMatchObject({ floor: first.floor, element: first.element });
    expect(groups.get(second.group)![0]).toMatchObject({ floor: 'reef', element: 'waste' });
    const redone = groups.get(third.group)![0]!;
    expect(redone.floor).toBeUndefined();
    // Undo took the box with it; the new decision drew none.
    expect(redone.element).toBe(third.element);
    expect(redone.box).toBeUndefined();
    expect(groups.get(fourth.group)![0]).toMatchObject({ floor: fourth.floor, element: fourth.element });
    expect(consoleErrors).toEqual([]);
  });
});
