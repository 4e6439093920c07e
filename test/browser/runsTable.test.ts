// The runs table's page in Chromium (playwright-core), against a fake host that sorts as the store
// would (runsTableFakeHost.ts): selection by click and keyboard (arrows, Shift, Page Down,
// Home/End — onto rows not loaded yet too —, Ctrl+A) reported to the host, a header click sorting and a Shift-click adding a sort,
// and a hostile run name drawn as text.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { TableLayout } from '../../shared/runsTable';
import type { ReportRow, TableReport, TableViewMessage } from '../../shared/runsTableProtocol';
import type { BrowserPage } from '../support/browserPage';
import { openBundledPage } from '../support/browserPage';
import { waitFor } from '../support/waitFor';

const root = join(__dirname, '..', '..', '..');
const HOSTILE = '<img src=x onerror="window.injected=1">';
const ROW_HEIGHT = 24;

interface Harness {
  report(): TableReport | null;
  reports(): number;
  sent(...types: string[]): TableViewMessage[];
  layout(): TableLayout;
  injected(): unknown;
}

describe('runs table webview: the page in Chromium', function () {
  this.timeout(60_000);
  let opened: BrowserPage | undefined;
  let page: Page;

  const harness = <K extends keyof Harness>(
    field: K,
    ...args: Parameters<Harness[K]>
  ): Promise<Awaited<ReturnType<Harness[K]>>> =>
    page.evaluate(
      ([f, values]) =>
        (globalThis as unknown as { harness: Record<string, (...a: unknown[]) => unknown> }).harness[f](...values),
      [field, args as unknown[]] as const,
    ) as never;

  /** The next report whose rows are all drawn and that satisfies `check`. */
  const drawn = (what: string, check: (r: TableReport) => boolean): Promise<TableReport> =>
    waitFor(what, async () => {
      const report = await harness('report');
      return report && report.rows.length > 0 && report.rows.every((r) => r.kind !== 'loading') && check(report)
        ? report
        : undefined;
    });

  /** The runs of the last selection the page reported to the host. */
  const selected = async (): Promise<readonly string[]> => {
    const messages = await harness('sent', 'selection');
    const last = messages.at(-1);
    return last?.type === 'selection' ? last.runIds : [];
  };
  const selectionIs = (what: string, check: (ids: readonly string[]) => boolean): Promise<readonly string[]> =>
    waitFor(what, async () => {
      const ids = await selected();
      return check(ids) ? ids : undefined;
    });

  const cell = (report: TableReport, row: ReportRow, column: string): string | undefined =>
    row.cells[report.columns.indexOf(column)];

  before(async () => {
    opened = await openBundledPage(join(root, 'test/browser/runsTableTestPage.ts'), {
      viewport: { width: 1200, height: 600 },
    });
    page = opened.page;
  });

  after(async () => {
    await opened?.close();
  });

  it('draws a screenful of rows, the hostile run name as text', async () => {
    const report = await drawn('the first screenful', (r) => r.rows.some((row) => row.key === 'run0003'));
    assert.ok(report.rows.length < 60, `a screenful and a margin, not 1,000 rows (${report.rows.length})`);
    assert.equal(report.total, 1000);
    const hostile = report.rows.find((r) => r.key === 'run0003');
    assert.ok(hostile);
    assert.equal(cell(report, hostile, 'run.name'), HOSTILE);
    assert.equal(report.foreignElements, 0, 'the name added no element');
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await harness('injected'), undefined);
    assert.deepEqual(opened?.errors, []);
    assert.equal(await page.getAttribute('.viewport', 'role'), 'grid');
  });

  it('selects with a click and the keyboard: arrows, Shift, Page Down, Home, End, Ctrl+A', async () => {
    await page.click('.row[data-run="run0000"]');
    assert.deepEqual(await selectionIs('a click', (ids) => ids.join() === 'run0000'), ['run0000']);
    await page.keyboard.press('ArrowDown');
    await selectionIs('ArrowDown', (ids) => ids.join() === 'run0001');
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    const range = await selectionIs('Shift+ArrowDown twice', (ids) => ids.length === 3);
    assert.deepEqual([...range].sort(), ['run0001', 'run0002', 'run0003']);
    const report = await drawn('the range drawn as selected', (r) => r.selected.length === 3);
    assert.deepEqual(
      report.rows.filter((r) => r.selected).map((r) => r.key),
      ['run0001', 'run0002', 'run0003'],
    );

    // Page Down moves by a screenful less one row, from the focused row (run0003).
    const screen = await page.evaluate(() => document.querySelector('.viewport')?.clientHeight ?? 0);
    const step = Math.floor((screen - 28) / ROW_HEIGHT) - 1;
    await page.keyboard.press('PageDown');
    const paged = `run${String(3 + step).padStart(4, '0')}`;
    await selectionIs(`Page Down to ${paged}`, (ids) => ids.join() === paged);
    await page.keyboard.press('End');
    await selectionIs('End', (ids) => ids.join() === 'run0999');
    const end = await drawn('the last rows', (r) => r.focused === 'run0999');
    assert.ok(
      end.rows.some((r) => r.key === 'run0999' && r.selected),
      'End scrolled the last run into view',
    );
    await page.keyboard.press('Home');
    await selectionIs('Home', (ids) => ids.join() === 'run0000');
    await page.keyboard.press('Control+a');
    const all = await selectionIs('Ctrl+A', (ids) => ids.length === 1000);
    assert.equal(new Set(all).size, 1000);
    const asked = await harness('sent', 'ids');
    assert.ok(
      asked.some((m) => m.type === 'ids' && m.from === 0 && m.to === 1000),
      'Ctrl+A asked the host for the ids of every row, loaded or not',
    );
  });

  it('sorts on a header click, adds a sort on Shift-click and flips it on a second click', async () => {
    await page.click('.hcell[data-column="metrics.loss"]');
    const byLoss = await drawn('sorted by loss', (r) => r.headers.some((h) => h.endsWith('loss ↓')));
    assert.deepEqual((await harness('layout')).sorts, [{ column: 'metrics.loss', descending: true }]);
    const losses = byLoss.rows.map((r) => Number(cell(byLoss, r, 'metrics.loss')));
    assert.deepEqual(
      losses,
      [...losses].sort((a, b) => b - a),
      'the rows in the host’s order, highest loss first',
    );

    await page.click('.hcell[data-column="params.lr"]', { modifiers: ['Shift'] });
    const two = await drawn('sorted by loss, then lr', (r) => r.headers.some((h) => h.endsWith('lr ↓2')));
    assert.ok(
      two.headers.some((h) => h.endsWith('loss ↓1')),
      two.headers.join(' | '),
    );
    assert.deepEqual((await harness('layout')).sorts, [
      { column: 'metrics.loss', descending: true },
      { column: 'params.lr', descending: true },
    ]);

    await page.click('.hcell[data-column="metrics.loss"]');
    const flipped = await drawn('sorted by loss, lowest first', (r) => r.headers.some((h) => h.endsWith('loss ↑')));
    assert.deepEqual((await harness('layout')).sorts, [{ column: 'metrics.loss', descending: false }]);
    assert.equal(await page.getAttribute('.hcell[data-column="metrics.loss"]', 'aria-sort'), 'ascending');
    const lowest = flipped.rows.map((r) => Number(cell(flipped, r, 'metrics.loss')));
    assert.deepEqual(
      lowest,
      [...lowest].sort((a, b) => a - b),
    );
    assert.deepEqual(opened?.errors, []);
  });

  it('moves a column dragged by its header, without sorting by it', async () => {
    const sorts = (await harness('layout')).sorts;
    const box = async (column: string): Promise<{ x: number; y: number; width: number; height: number }> => {
      const found = await page.locator(`.hcell[data-column="${column}"]`).boundingBox();
      assert.ok(found, `the header of ${column}`);
      return found;
    };
    const lr = await box('params.lr');
    const status = await box('run.status');
    await page.mouse.move(lr.x + lr.width / 2, lr.y + lr.height / 2);
    await page.mouse.down();
    await page.mouse.move(status.x + status.width / 2, status.y + status.height / 2, { steps: 8 });
    await page.mouse.move(status.x + 4, status.y + status.height / 2, { steps: 4 });
    assert.equal(await page.locator('.drop-marker').count(), 1, 'a marker shows where it will go');
    await page.mouse.up();
    const moved = await drawn('lr moved before status', (r) => r.columns[1] === 'params.lr');
    assert.equal(moved.columns[0], 'run.name', 'the pinned column stays first');
    assert.equal(moved.columns[2], 'run.status');
    const layout = await harness('layout');
    assert.deepEqual(
      layout.order.slice(0, 2),
      ['params.lr', 'run.status'],
      'the order is the layout’s (kept by the host)',
    );
    assert.deepEqual(layout.pinned, ['run.name']);
    assert.deepEqual(layout.sorts, sorts, 'the drag was not a click');
    assert.equal(await page.locator('.drop-marker').count(), 0);
    assert.deepEqual(opened?.errors, []);
  });

  it("asks the host for a param or metric column's quick filter from its header, without sorting", async () => {
    const sorts = (await harness('layout')).sorts;
    assert.equal(await page.locator('.hcell[data-column="run.status"] .qf').count(), 0, 'none on attributes');
    assert.equal(await page.textContent('.hcell[data-column="params.lr"]'), 'lr', 'the glyph adds no header text');
    await page.click('.hcell[data-column="params.lr"] .qf');
    await page.click('.hcell[data-column="metrics.loss"] .qf');
    const asked = await waitFor('two quick filters', async () => {
      const sent = await harness('sent', 'quickFilter');
      return sent.length === 2 ? sent : undefined;
    });
    assert.deepEqual(asked, [
      { type: 'quickFilter', column: 'params.lr' },
      { type: 'quickFilter', column: 'metrics.loss' },
    ]);
    assert.deepEqual((await harness('layout')).sorts, sorts);
  });

  it('scrolls across: the cells of the columns that come in are drawn, each in its column', async () => {
    // Each extra param x<k> of run i is i * 100 + k (runsTableFakeHost.ts).
    const consistent = (report: TableReport): boolean =>
      report.rows.every(
        (row) =>
          row.kind !== 'run' ||
          report.columns.every(
            (column, n) =>
              !column.startsWith('params.x') ||
              row.cells[n] === String(Number(row.key.slice(3)) * 100 + Number(column.slice('params.x'.length))),
          ),
      );
    await page.setViewportSize({ width: 700, height: 600 });
    const scrollTo = (left: number): Promise<void> =>
      page.evaluate((x) => {
        const viewport = document.querySelector('.viewport');
        if (viewport) viewport.scrollLeft = x < 0 ? viewport.scrollWidth : x;
      }, left);
    await scrollTo(-1);
    const right = await drawn('the right end', (r) => r.columns.includes('run.note'));
    assert.ok(!right.columns.includes('run.start'), `the columns left of view are gone: ${right.columns.join()}`);
    assert.equal(right.columns[0], 'run.name', 'the pinned column stays');
    assert.ok(consistent(right), JSON.stringify(right.rows[0]));
    // Back across in steps: each step brings in a block of columns before the ones kept.
    const width = await page.evaluate(() => document.querySelector('.viewport')?.scrollWidth ?? 0);
    for (const left of [Math.round(width * 0.6), Math.round(width * 0.3), 0]) {
      await scrollTo(left);
      const report = await drawn(`the view at ${left}px`, (r) => r.columns.length > 1 && consistent(r));
      for (const row of report.rows) {
        assert.equal(row.cells.length, report.columns.length, 'a cell per column, no stale one left');
      }
    }
    const back = await drawn('the left end', (r) => r.columns.includes('run.status'));
    assert.ok(consistent(back));
    assert.deepEqual(opened?.errors, []);
  });
});
