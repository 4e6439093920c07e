// The Media panel's page in Chromium (playwright-core) against a fake host, images as files on
// disk: the step slider over two runs' different steps (each snapping to its nearest), keys, play,
// the preview falling back to the image, hostile names and files, lazy sections, compare modes,
// live steps, the lightbox, and the bound on decoded images.
import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import type { MediaHostMessage, MediaReport, MediaRun, MediaViewMessage } from '../../shared/mediaProtocol';
import type { BrowserPage } from '../support/browserPage';
import { openBundledPage } from '../support/browserPage';
import { stepPicture } from '../support/pngFiles';
import { waitFor } from '../support/waitFor';
import type { PageSetup, PlainSeries } from './mediaTestPage';

const root = join(__dirname, '..', '..', '..');
const HOSTILE = '<img src=x onerror="window.injected=1">';
const name = (key: string, step: number, uuid: string, tail = '.png'): string =>
  `images/${key.replace(/\//g, '#')}%step%${step}%timestamp%${1_700_000_000_000 + step}%${uuid}${tail}`;

interface Harness {
  requests: MediaViewMessage[];
  sent: MediaViewMessage[];
  reports: MediaReport[];
  start(setup: PageSetup): void;
  setSeries(key: string, list: PlainSeries[]): void;
  receive(message: MediaHostMessage): void;
  report(): MediaReport | undefined;
  cache(): { cached: number; decoded: number };
  step(key: string): number | undefined;
  injected(): unknown;
}

describe('media webview: the Media panel page in Chromium', function () {
  this.timeout(60_000);
  let opened: BrowserPage | undefined;
  let page: Page;
  let dir: string;

  const harness = <K extends keyof Harness>(
    field: K,
    ...args: Harness[K] extends (...a: infer A) => unknown ? A : []
  ): Promise<Harness[K] extends (...a: never[]) => infer R ? Awaited<R> : Harness[K]> =>
    page.evaluate(
      ([f, values]) => {
        const value = (globalThis as unknown as { harness: Record<string, unknown> }).harness[f];
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown)(...values) : value;
      },
      [field, args as unknown[]] as const,
    ) as never;

  /** Writes a run's image files; `missing` are listed in its series but not on disk. */
  async function files(runId: string, paths: string[], missing: string[] = []): Promise<string> {
    for (const [i, path] of paths.entries()) {
      if (missing.includes(path)) continue;
      const file = join(dir, runId, ...path.split('/'));
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, stepPicture(path.includes('compressed') ? 32 : 64, i));
    }
    return `${pathToFileURL(join(dir, runId)).href}/`;
  }

  const run = (id: string, runName: string, base: string, color: string): MediaRun => ({
    id,
    name: runName,
    status: 'FINISHED',
    color,
    label: '',
    base,
  });

  const section = (report: MediaReport | undefined, key: string) => report?.sections.find((s) => s.key === key);

  /** Waits for a report in which `key`'s section passes `ok`. */
  const shown = (what: string, key: string, ok: (s: NonNullable<ReturnType<typeof section>>) => boolean) =>
    waitFor(what, async () => {
      const s = section(await harness('report'), key);
      return s && ok(s) ? s : undefined;
    });

  let aSeries: PlainSeries;
  let bSeries: PlainSeries;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-media-page-'));
    const aSteps = Array.from({ length: 11 }, (_, i) => i * 2);
    const aFiles = aSteps.map((s) => name('val/pred', s, `ga${s}`));
    const aPreviews = aSteps.map((s) => name('val/pred', s, `ga${s}`, '%compressed.webp'));
    // Step 4's preview is listed but gone (it falls back to the image); step 20 is gone altogether.
    const aBase = await files('a', [...aFiles, ...aPreviews], [aPreviews[2], aFiles[10], aPreviews[10]]);
    aSeries = { runId: 'a', steps: aSteps, files: aFiles, previews: aPreviews };
    const bSteps = [0, 5, 10, 15];
    // A journal may name files anything: `?`, quotes and markup in the name are just characters.
    const bFiles = bSteps.map((s) => name('val/pred', s, s === 10 ? `g<b>"'?&x` : `gb${s}`));
    const bBase = await files('b', bFiles);
    bSeries = { runId: 'b', steps: bSteps, files: bFiles, previews: bSteps.map(() => null) };
    const extra: Record<string, PlainSeries[]> = {};
    for (let k = 0; k < 12; k++) {
      const key = `layer ${k}`;
      const paths = [name(key, 0, `gk${k}`)];
      await files('a', paths);
      extra[key] = [{ runId: 'a', steps: [0], files: paths, previews: [null] }];
    }
    opened = await openBundledPage(join(root, 'test/browser/mediaTestPage.ts'), {
      viewport: { width: 1100, height: 700 },
    });
    page = opened.page;
    await harness('start', {
      runs: [run('a', 'calm-fox', aBase, '#4e79a7'), run('b', HOSTILE, bBase, '#e15759')],
      keys: [
        { key: 'val/pred', runs: 2, images: 15 },
        ...Object.keys(extra).map((key) => ({ key, runs: 1, images: 1 })),
      ],
      series: { 'val/pred': [aSeries, bSeries], ...extra },
      limits: { capacity: 6, pixels: 1_000_000, concurrency: 4 },
    });
  });

  after(async () => {
    await opened?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens at the latest step, each run at its nearest logged one; names and files as text', async () => {
    const s = await shown('the first section', 'val/pred', (x) => x.shown.every((i) => i.loaded || i.failed));
    assert.equal(s.steps, 13, 'one slider over the union of both runs’ steps');
    assert.equal(s.step, 20);
    const [a, b] = s.shown;
    assert.deepEqual([a.runId, a.step, a.failed], ['a', 20, true], 'a file listed but gone says so');
    assert.deepEqual([b.runId, b.step, b.loaded], ['b', 15, true], 'b stopped at 15: its nearest');
    const report = await harness('report');
    assert.deepEqual(report?.legend, ['calm-fox', HOSTILE]);
    assert.equal(report?.foreignElements, 0, 'names are text');
    assert.equal(report?.strayImages, 0, 'every image comes from a run’s artifacts');
    assert.ok(await page.getByText('step 15 (nearest to 20)').isVisible());
    assert.ok(await page.getByText('could not load val/pred at step 20').isVisible());
    assert.equal(await harness('injected'), undefined);
    assert.deepEqual(opened?.errors, []);
  });

  it('moves with ←/→ and Home, snapping each run; a hostile file name loads', async () => {
    await page.locator('.key-section[data-key="val/pred"]').focus();
    await page.keyboard.press('Home');
    await shown('step 0', 'val/pred', (x) => x.step === 0 && x.shown.every((i) => i.loaded));
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
    // Union steps: 0 2 4 5 6 8 10 …: six to the right is 10.
    const s = await shown('step 10', 'val/pred', (x) => x.step === 10 && x.shown.every((i) => i.loaded));
    assert.deepEqual(
      s.shown.map((i) => [i.step, i.file]),
      [
        [10, aSeries.files[5]],
        [10, bSeries.files[2]],
      ],
    );
    await page.keyboard.press('ArrowLeft');
    await shown('step 8', 'val/pred', (x) => x.step === 8 && x.shown[1].step === 10 && x.shown.every((i) => i.loaded));
    assert.equal(await harness('step', 'val/pred'), 8);
  });

  it("falls back to the image where MLflow's preview is missing", async () => {
    await page.locator('.key-section[data-key="val/pred"] .step-slider').fill('2');
    const s = await shown('step 4', 'val/pred', (x) => x.step === 4 && x.shown.every((i) => i.loaded));
    assert.equal(s.shown[0].file, aSeries.files[2]);
    const src = await page.locator('.key-section[data-key="val/pred"] .run-image img').first().getAttribute('src');
    assert.ok(src?.endsWith(encodeURIComponent(aSeries.files[2].slice('images/'.length))), src ?? '');
  });

  it('plays through the steps to the end, waiting for each step’s images', async () => {
    await page.locator('.key-section[data-key="val/pred"]').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await shown('two steps before the end', 'val/pred', (x) => x.step === 16);
    await page.keyboard.press(' ');
    await shown('playing', 'val/pred', (x) => x.playing);
    const end = await shown('stopped at the end', 'val/pred', (x) => !x.playing && x.step === 20);
    assert.equal(end.steps, 13);
  });

  it('loads only the sections near the screen', async () => {
    const asked = new Set((await harness('requests')).map((r) => (r.type === 'series' ? r.key : '')));
    assert.ok(asked.has('val/pred'));
    assert.ok(asked.size < 13, `asked for ${asked.size} of 13 keys before scrolling`);
    await page.locator('.key-section[data-key="layer 11"]').scrollIntoViewIfNeeded();
    await shown('the last section', 'layer 11', (x) => x.shown[0].loaded);
  });

  it('keeps no more decoded images than those on screen plus the cache', async () => {
    await page.locator('.key-section[data-key="val/pred"]').scrollIntoViewIfNeeded();
    await page.locator('.key-section[data-key="val/pred"]').focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('ArrowRight');
      await shown(`step ${i + 1}`, 'val/pred', (x) => x.shown.every((s) => s.loaded || s.failed));
    }
    const { cached, decoded } = await harness('cache');
    const onScreen = await page.locator('img[src]').count();
    assert.ok(cached <= 6, `${cached} cached beyond the screen (capacity 6)`);
    assert.ok(decoded <= onScreen + 6, `${decoded} decoded, ${onScreen} on screen`);
  });

  it('compares two runs side by side, as a swipe and as a blend, at the same step', async () => {
    for (const mode of ['side', 'swipe', 'blend'] as const) {
      await harness('receive', { type: 'setView', view: { mode, pair: ['b', 'a'], steps: { 'val/pred': 10 } } });
      const s = await shown(`${mode} at step 10`, 'val/pred', (x) => x.step === 10 && x.shown.every((i) => i.loaded));
      assert.deepEqual(
        s.shown.map((i) => i.runId),
        ['b', 'a'],
      );
      const report = await harness('report');
      assert.equal(report?.mode, mode);
      assert.deepEqual(report?.pair, ['b', 'a']);
    }
    const clip = await page
      .locator('.overlay-stack .layer')
      .nth(1)
      .evaluate((e) => (e as HTMLElement).style.opacity);
    assert.equal(clip, '0.5', 'blend: the second run at half opacity');
    await harness('receive', { type: 'setView', view: { mode: 'swipe' } });
    const stack = page.locator('.key-section[data-key="val/pred"] .overlay-stack');
    const box = await stack.boundingBox();
    assert.ok(box);
    await page.mouse.click(box.x + box.width * 0.25, box.y + box.height / 2);
    const inset = await page
      .locator('.overlay-stack .layer')
      .nth(1)
      .evaluate((e) => (e as HTMLElement).style.clipPath);
    assert.equal(inset, 'inset(0px 0px 0px 25%)', 'swipe: the divider follows the pointer');
    await harness('receive', { type: 'setView', view: { mode: 'grid' } });
  });

  it('enlarges an image on a click; ← moves the slider from there, Escape closes', async () => {
    await page.locator('.key-section[data-key="val/pred"] .run-image .image-box').first().click();
    const title = page.locator('.lightbox-title');
    await title.waitFor({ state: 'visible' });
    assert.equal(await title.textContent(), 'calm-fox · val/pred · step 10');
    await page.keyboard.press('ArrowLeft');
    await waitFor('the lightbox to follow', async () =>
      (await title.textContent()) === 'calm-fox · val/pred · step 8' ? true : undefined,
    );
    await page.keyboard.press('Escape');
    await title.waitFor({ state: 'hidden' });
  });

  it('shows new steps of a running run, following the latest', async () => {
    await page.locator('.key-section[data-key="val/pred"]').focus();
    await page.keyboard.press('End');
    await shown('the end', 'val/pred', (x) => x.step === 20);
    const more = [...bSeries.files, name('val/pred', 25, 'gb25')];
    const base = await files('b', more);
    assert.ok(base);
    await harness('setSeries', 'val/pred', [
      aSeries,
      { ...bSeries, steps: [...bSeries.steps, 25], files: more, previews: [...bSeries.previews, null] },
    ]);
    await harness('receive', { type: 'runsChanged', runIds: ['b'] });
    const s = await shown('the new step', 'val/pred', (x) => x.step === 25 && x.shown[1].loaded);
    assert.equal(s.steps, 14);
    const asked = (await harness('requests')).filter((r) => r.type === 'series' && r.key === 'val/pred').at(-1);
    assert.deepEqual(asked, { type: 'series', key: 'val/pred', runIds: ['b'] }, 'only the run that changed');
    assert.deepEqual(opened?.errors, []);
  });

  it('says so, with how to log them, when the runs logged no images; no sections, no blank page', async () => {
    const plain = [
      run('c', 'plain-heron', 'file:///nowhere/c/', '#59a14f'),
      run('d', 'quiet-wren', 'file:///nowhere/d/', '#f28e2b'),
    ];
    await harness('receive', { type: 'state', state: { runs: plain, keys: [] } });
    const r = await waitFor('the empty note', async () => {
      const report = await harness('report');
      return report?.note ? report : undefined;
    });
    assert.equal(
      r.note,
      'These runs logged no images over steps yet (runlog.log_image(image, key=…, step=…), or mlflow.log_image with a key).',
    );
    assert.equal(r.keys, 0);
    assert.equal(r.strayImages, 0);
    assert.deepEqual(r.legend, ['plain-heron', 'quiet-wren']);
    assert.equal(await page.locator('.key-section').count(), 0);
    assert.ok(await page.getByText('These runs logged no images').isVisible());
    assert.match((await page.locator('.summary').textContent()) ?? '', /^2 runs · 0 keys · 0 images$/);
    await page.screenshot({ path: join(root, 'test-results', 'browser-media-no-images.png') });
    await harness('receive', { type: 'state', state: { runs: [], keys: [] } });
    await waitFor('the note of no runs', async () =>
      (await harness('report'))?.note === 'No runs to show.' ? true : undefined,
    );
    assert.deepEqual(opened?.errors, []);
  });
});
