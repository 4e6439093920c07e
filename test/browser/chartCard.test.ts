// The charts webview's ChartCard in a real browser (Debian's Chromium through playwright-core):
// zooming asks the host for the zoomed range, double-click zooms out, a click reveals the run
// under the cursor, and the crosshair shows hostile run names as text.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ChartsViewMessage } from '../../shared/chartsProtocol';
import type { BrowserPage } from '../support/browserPage';
import { openBundledPage } from '../support/browserPage';
import { waitFor } from '../support/waitFor';

const root = join(__dirname, '..', '..', '..');

interface Harness {
  requests: ChartsViewMessage[];
  sent: ChartsViewMessage[];
  drawn: { series: number; points: number }[];
  load(): Promise<void>;
  zoomedTo(): { from: number; to: number } | undefined;
  pointOf(run: string, step: number): { x: number; y: number };
  overBox(): { left: number; top: number; width: number; height: number };
  png(): string | null;
}

describe('charts webview: a chart card in Chromium', function () {
  this.timeout(60_000);
  let opened: BrowserPage | undefined;
  let page: Page;

  /** Reads a harness field, or calls a harness method, inside the page. */
  const harness = <K extends keyof Harness>(
    name: K,
    ...args: Harness[K] extends (...a: infer A) => unknown ? A : []
  ): Promise<Harness[K] extends (...a: never[]) => infer R ? Awaited<R> : Harness[K]> =>
    page.evaluate(
      ([field, values]) => {
        const value = (globalThis as unknown as { harness: Record<string, unknown> }).harness[field];
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown)(...values) : value;
      },
      [name, args as unknown[]] as const,
    ) as never;

  before(async () => {
    opened = await openBundledPage(join(root, 'test/browser/chartCardPage.ts'), {
      viewport: { width: 1000, height: 600 },
    });
    page = opened.page;
    await harness('load');
    assert.deepEqual(opened.errors, []);
  });

  after(async () => {
    await opened?.close();
  });

  it('asks for one bucket per pixel of the whole extent and draws every run', async () => {
    const requests = await harness('requests');
    assert.equal(requests.length, 1);
    const first = requests[0];
    assert.ok(first.type === 'chartData' && first.range === undefined);
    assert.ok(first.buckets > 500 && first.buckets < 800, `buckets ${first.buckets} for an 800-px card`);
    const [drawn] = await harness('drawn');
    assert.deepEqual(drawn, { series: 2, points: 20_000 }, 'a line per run');
  });

  it('zooms to a dragged range at full fidelity, and out on double-click', async () => {
    const box = await harness('overBox');
    const y = box.top + box.height / 2;
    await page.mouse.move(box.left + box.width * 0.25, y);
    await page.mouse.down();
    await page.mouse.move(box.left + box.width * 0.4, y, { steps: 5 });
    await page.mouse.move(box.left + box.width * 0.5, y, { steps: 5 });
    await page.mouse.up();
    const zoom = await waitFor('the zoom request', async () => {
      const requests = await harness('requests');
      const last = requests[requests.length - 1];
      return last.type === 'chartData' && last.range ? last.range : undefined;
    });
    assert.ok(Math.abs(zoom.from - 2500) < 100 && Math.abs(zoom.to - 5000) < 100, JSON.stringify(zoom));
    assert.deepEqual(await harness('zoomedTo'), zoom);
    const drawn = await waitFor('the zoomed chart', async () => {
      const all = await harness('drawn');
      return all.length >= 2 ? all[all.length - 1] : undefined;
    });
    const span = Math.floor(zoom.to) - Math.ceil(zoom.from) + 1;
    assert.equal(drawn.points, 2 * span, 'every point of the zoomed range');

    await page.mouse.dblclick(box.left + box.width * 0.5, y);
    const reset = await waitFor('the zoom-out request', async () => {
      const requests = await harness('requests');
      const last = requests[requests.length - 1];
      return requests.length >= 3 && last.type === 'chartData' && !last.range ? last : undefined;
    });
    assert.ok(reset);
    assert.equal(await harness('zoomedTo'), undefined);
  });

  it('reveals the run whose line is clicked', async () => {
    await waitFor('the whole chart again', async () => {
      const all = await harness('drawn');
      return all.length >= 3 ? true : undefined;
    });
    const point = await page.evaluate(() => (globalThis as unknown as { harness: Harness }).harness.pointOf('b', 1000));
    await page.mouse.click(point.x, point.y);
    const sent = await waitFor('the reveal', async () => {
      const all = await harness('sent');
      return all.length > 0 ? all : undefined;
    });
    assert.deepEqual(sent, [{ type: 'revealRun', runId: 'b' }]);
  });

  it('lists every run at the crosshair, names as text', async () => {
    const box = await harness('overBox');
    await page.mouse.move(box.left + box.width * 0.3, box.top + box.height / 2);
    const tooltip = page.locator('.chart-tooltip');
    await tooltip.waitFor({ state: 'visible' });
    const names = await tooltip.locator('.tooltip-name').allTextContents();
    assert.deepEqual(names.sort(), ['<img src=x onerror="window.injected=1">', 'calm-fox'].sort());
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as Record<string, unknown>)['injected']), undefined);
  });

  it('renders a PNG with the title, the plot and the run colors', async () => {
    const png = await harness('png');
    assert.ok(png?.startsWith('data:image/png;base64,'));
    assert.ok(png && png.length > 5_000, 'not an empty image');
  });
});
