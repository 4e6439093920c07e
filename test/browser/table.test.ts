// The table viewer in Chromium (playwright-core): a 100,000-row MLflow table drawn a screenful at a
// time, sorted by a header click, filtered, exported as CSV; image cells as thumbnails from the
// run's artifacts (the preview, else the image), a hostile SVG cell and hostile text cells inert.
import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import type { TableFormat } from '../../shared/tableData';
import type { TableReport } from '../../shared/tableProtocol';
import type { BrowserPage } from '../support/browserPage';
import { openBundledPage } from '../support/browserPage';
import { stepPicture } from '../support/pngFiles';
import { waitFor } from '../support/waitFor';

const root = join(__dirname, '..', '..', '..');
const HOSTILE = '<img src=x onerror="window.injected=1">';
/** An SVG that would set a global if its script ran (it must not: images are <img>). */
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>parent.injected=2</script><rect width="10" height="10" fill="red"/></svg>';

interface Harness {
  exported: string[];
  reports: TableReport[];
  show(name: string, format: TableFormat, text: string, base: string | null): void;
  apply(filter: string): void;
  report(): TableReport;
  injected(): unknown;
}

describe('table webview: the table viewer in Chromium', function () {
  this.timeout(60_000);
  let opened: BrowserPage | undefined;
  let page: Page;
  let dir: string;
  let base: string;

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

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-table-page-'));
    await mkdir(join(dir, 'table_images', 'eval'), { recursive: true });
    await writeFile(join(dir, 'table_images', 'eval', 'g1.png'), stepPicture(40, 1));
    await writeFile(join(dir, 'table_images', 'eval', 'g2.png'), stepPicture(40, 2));
    await writeFile(join(dir, 'table_images', 'eval', 'g2.webp'), stepPicture(20, 3)); // the preview (PNG bytes: fine for <img>)
    await writeFile(join(dir, 'table_images', 'eval', 'evil.svg'), SVG);
    base = `${pathToFileURL(dir).href}/`;
    opened = await openBundledPage(join(root, 'test/browser/tableTestPage.ts'), {
      viewport: { width: 1000, height: 600 },
    });
    page = opened.page;
  });

  after(async () => {
    await opened?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('draws a screenful of 100,000 rows, sorts on a header click, filters and exports what is shown', async () => {
    const data = Array.from({ length: 100_000 }, (_, i) => [
      `row ${i}`,
      (i * 7919) % 100_000,
      i % 3 === 0 ? null : i % 10,
    ]);
    await harness(
      'show',
      'eval/big.json',
      'json',
      JSON.stringify({ columns: ['name', 'score', 'bucket'], data }),
      base,
    );
    const first = await waitFor('the table', async () => {
      const r = await harness('report');
      return r.rows === 100_000 ? r : undefined;
    });
    assert.deepEqual(first.columns, ['name', 'score', 'bucket']);
    assert.ok(first.drawn > 10 && first.drawn < 100, `${first.drawn} rows in the page`);
    await page.locator('.header-cell', { hasText: 'score' }).click();
    await page.locator('.header-cell', { hasText: 'score' }).click();
    const sorted = await harness('report');
    assert.deepEqual(sorted.sort, { column: 'score', descending: true });
    assert.deepEqual(sorted.first, ['row 82321', '99999', '1']);
    await page.locator('.filter').fill('row 1234');
    const filtered = await waitFor('the filter', async () => {
      const r = await harness('report');
      return r.filter === 'row 1234' ? r : undefined;
    });
    assert.equal(filtered.shown, 11, 'row 1234 and row 12340–12349');
    await page.getByText('Export CSV').click();
    const [csv] = await waitFor('the export', async () =>
      (await harness('exported')).length > 0 ? harness('exported') : undefined,
    );
    const lines = csv.trim().split('\r\n');
    assert.equal(lines[0], 'name,score,bucket');
    assert.equal(lines.length, 12);
    await page.getByText('Saved 11 rows to /tmp/eval/big.csv').waitFor({ state: 'visible' });
    // Scrolling far down draws the rows there, still a screenful.
    await harness('apply', '');
    await page.locator('.scroller').evaluate((e) => (e.scrollTop = e.scrollHeight / 2));
    const middle = await waitFor('rows in the middle', async () => {
      const text = await page.locator('.rows .table-row').first().textContent();
      return text && !text.startsWith('row 99999') ? text : undefined;
    });
    assert.ok(middle);
    assert.ok((await harness('report')).drawn < 100);
  });

  it('shows image cells as thumbnails (the preview, else the image); SVG and text stay inert', async () => {
    const cell = (name: string, preview: string | null) => ({
      type: 'image',
      filepath: `table_images/eval/${name}`,
      compressed_filepath: preview && `table_images/eval/${preview}`,
    });
    const table = {
      columns: ['input', 'image'],
      data: [
        [HOSTILE, cell('g1.png', 'missing.webp')],
        ['second', cell('g2.png', 'g2.webp')],
        ['svg', cell('evil.svg', null)],
        ['climbs out', cell('../../etc/passwd', null)],
      ],
    };
    await harness('show', 'eval/images.json', 'json', JSON.stringify(table), base);
    await waitFor('every thumbnail', async () => {
      const loaded = await page
        .locator('.image-cell img')
        .evaluateAll((imgs) =>
          imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
        );
      return loaded.length === 3 && loaded.every(Boolean) ? true : undefined;
    });
    const sources = await page
      .locator('.image-cell img')
      .evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).src));
    assert.ok(
      sources[0].endsWith('table_images/eval/g1.png'),
      `the missing preview fell back to the image: ${sources.join(' ')}`,
    );
    assert.ok(sources[1].endsWith('table_images/eval/g2.webp'), 'the preview first');
    const report = await harness('report');
    assert.equal(report.images, 3);
    assert.equal(report.strayImages, 0);
    assert.equal(report.foreignElements, 0);
    assert.ok(
      await page.getByText('image table_images/eval/../../etc/passwd').isVisible(),
      'no URL for a path that climbs',
    );
    await page.locator('.image-cell img').nth(1).click();
    await page.locator('.enlarged img').waitFor({ state: 'visible' });
    await page.locator('.enlarged').click();
    await page.screenshot({ path: '/tmp/table-images.png' });
    assert.equal(await harness('injected'), undefined);
    assert.deepEqual(opened?.errors, []);
  });

  it('says why a file is not a table', async () => {
    await harness('show', 'eval/not.json', 'json', '{"a": 1}', base);
    const report = await harness('report');
    assert.match(report.problem ?? '', /not a table/);
    assert.ok(await page.getByText(/eval\/not\.json is not a table/).isVisible());
  });
});
