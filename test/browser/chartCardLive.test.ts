// A chart card following a running run in Chromium, with the host's replies arriving out of order:
// whatever the order, the card ends up drawing every point the store had when it last asked.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { BrowserPage } from '../support/browserPage';
import { openBundledPage } from '../support/browserPage';

const root = join(__dirname, '..', '..', '..');

describe('charts webview: a chart card of a running run in Chromium', function () {
  this.timeout(60_000);
  let opened: BrowserPage | undefined;
  let page: Page;

  const call = (name: string, ...args: unknown[]): Promise<unknown> =>
    page.evaluate(
      async ([field, values]) => {
        const value = (globalThis as unknown as { harness: Record<string, unknown> }).harness[field];
        return typeof value === 'function' ? await (value as (...a: unknown[]) => unknown)(...values) : value;
      },
      [name, args] as const,
    );

  before(async () => {
    opened = await openBundledPage(join(root, 'test/browser/chartCardLivePage.ts'), {
      viewport: { width: 1000, height: 600 },
    });
    page = opened.page;
  });

  after(async () => {
    await opened?.close();
  });

  it('draws the newest points when an older reload answers after a newer refresh was asked', async () => {
    await call('load');
    await call('release', 0);
    assert.deepEqual(await call('drawn'), [100]);
    // The run logs 50 more points: the refresh sees them past the chart's grid and reloads.
    await call('grow', 150);
    await call('refresh');
    await call('release', 0);
    assert.equal(await call('held'), 1, 'the reload is asked for');
    // 50 more, and the next notice's refresh is asked for while that reload is still out.
    await call('grow', 200);
    await call('refresh');
    // The reload answers first (150 points), then the refresh (200).
    await call('release', 0);
    await call('release', 0);
    while (((await call('held')) as number) > 0) await call('release', 0);
    const drawn = (await call('drawn')) as number[];
    assert.equal(drawn.at(-1), 200, `drew ${drawn.join(', ')}`);
    assert.deepEqual(opened?.errors, []);
  });
});
