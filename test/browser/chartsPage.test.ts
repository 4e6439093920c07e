// The Charts panel's whole page (webview/charts/main.ts) in Chromium against a fake VS Code: the
// toolbar's Images button, clicked, asks the host for the Media panel; the System metrics section
// is there only for runs that sampled system metrics.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RenderReport, ChartsState, ChartsViewMessage } from '../../shared/chartsProtocol';
import { DEFAULT_LAYOUT } from '../../shared/chartsProtocol';
import type { BrowserPage } from '../support/browserPage';
import { openBundledPage } from '../support/browserPage';
import { waitFor } from '../support/waitFor';

const root = join(__dirname, '..', '..', '..');
const RUNS: ChartsState['runs'] = [
  { id: 'run-a', name: 'calm-fox', status: 'FINISHED', color: '#4e79a7', label: 'lr=0.1' },
  { id: 'run-b', name: 'brave-owl', status: 'FINISHED', color: '#e15759', label: 'lr=0.01' },
];
const SYSTEM = ['system/cpu_utilization_percentage', 'system/system_memory_usage_megabytes'];

describe('charts webview: the Charts panel page in Chromium', function () {
  this.timeout(60_000);
  let opened: BrowserPage | undefined;
  let page: Page;

  const posted = (): Promise<ChartsViewMessage[]> =>
    page.evaluate(() => (globalThis as unknown as { harness: { posted(): ChartsViewMessage[] } }).harness.posted());
  const push = (state: ChartsState): Promise<void> =>
    page.evaluate(
      (s) => (globalThis as unknown as { harness: { state(s: ChartsState): void } }).harness.state(s),
      state,
    );
  /** The page's report after the state `ok` recognizes was drawn. */
  const drawn = (what: string, ok: (r: RenderReport) => boolean): Promise<RenderReport> =>
    waitFor(what, async () =>
      (await posted())
        .flatMap((m) => (m.type === 'rendered' ? [m.report] : []))
        .reverse()
        .find(ok),
    );

  before(async () => {
    opened = await openBundledPage(join(root, 'test/browser/chartsPageTestPage.ts'), {
      viewport: { width: 1100, height: 800 },
    });
    page = opened.page;
    await waitFor('the page to say it is ready', async () => (await posted()).some((m) => m.type === 'ready'));
  });

  afterEach(() => {
    assert.deepEqual(opened?.errors, []);
  });

  after(async () => {
    await opened?.close();
  });

  it("clicks the toolbar's Images button: the page asks the host for the Media panel of its runs", async () => {
    await push({ runs: RUNS, keys: ['loss'], layout: DEFAULT_LAYOUT });
    await drawn('the loss chart', (r) => r.charts === 1 && r.series === 2);
    const before = (await posted()).length;
    const button = page.getByRole('button', { name: 'Images' });
    assert.equal(await button.getAttribute('title'), 'The images these runs logged, step by step (Runlog: Open Media)');
    await button.click();
    const sent = await waitFor('the message the click posts', async () => {
      const after = (await posted()).slice(before).filter((m) => m.type !== 'rendered');
      return after.length > 0 ? after : undefined;
    });
    // The host opens the Media panel on the runs it charts (chartsPanel.ts: `{ runIds: this.runIds }`).
    assert.deepEqual(sent, [{ type: 'openMedia' }]);
  });

  it('shows a System metrics section, closed, for runs that sampled them; none for runs that did not', async () => {
    const section = page.locator('.system-section');
    await push({ runs: RUNS, keys: ['acc', 'loss', ...SYSTEM], layout: DEFAULT_LAYOUT });
    const withSystem = await drawn(
      'two charts and a closed System section',
      (r) => r.charts === 2 && r.system.charts === 2,
    );
    assert.equal(withSystem.system.open, false);
    assert.ok(await section.isVisible(), 'runs with system metrics have the section');
    assert.equal(await section.locator('.section-toggle').textContent(), '▸ System metrics (2)');
    await page.screenshot({ path: join(root, 'test-results', 'browser-charts-with-system.png') });

    // Other runs, which sampled nothing: the section goes, with no empty heading or note left.
    const plain = RUNS.map((r) => ({ ...r, id: `${r.id}-plain` }));
    await push({ runs: plain, keys: ['acc', 'loss'], layout: { ...DEFAULT_LAYOUT, systemOpen: true } });
    const without = await drawn('the runs without system metrics', (r) => r.charts === 2 && r.system.charts === 0);
    assert.equal(without.series, 4);
    assert.equal(await section.isVisible(), false, 'no System metrics section at all');
    assert.equal(await page.getByText('System metrics').isVisible(), false, 'no heading of it either');
    assert.equal(await page.locator('.empty').count(), 0, 'the runs’ own charts, no note');
    assert.equal(await page.locator('.grid .chart-title').count(), 2);
    await page.screenshot({ path: join(root, 'test-results', 'browser-charts-no-system.png') });
  });
});
