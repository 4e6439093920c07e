// What a chart card draws, read back from its canvas in Chromium: every run is a line through its
// own points whatever the other runs' density, bridging empty buckets; it breaks only at a NaN or
// a long silence; isolated points show a marker.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { BrowserPage } from '../support/browserPage';
import { openBundledPage } from '../support/browserPage';
import type { RunSpec, Scenario } from './chartLinesPage';

const root = join(__dirname, '..', '..', '..');

const RED = '#e41a1c';
const BLUE = '#377eb8';
const GREEN = '#4daf4a';
const PURPLE = '#984ea3';

/** [step, value] for steps from..to (inclusive) every `every` steps. */
function points(from: number, to: number, every: number, value: (step: number) => number): [number, number][] {
  const out: [number, number][] = [];
  for (let step = from; step <= to; step += every) out.push([step, value(step)]);
  return out;
}

describe('charts webview: every run is drawn as a line through its own points', function () {
  this.timeout(60_000);
  let opened: BrowserPage | undefined;
  let page: Page;

  const call = <T>(name: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(
      ([field, values]) =>
        (globalThis as unknown as { harness: Record<string, (...a: unknown[]) => unknown> }).harness[field](...values),
      [name, args] as const,
    ) as Promise<T>;

  const show = (scenario: Scenario): Promise<void> => call('show', scenario);
  const column = (x: number): Promise<number> => call('column', x);

  /** The share of plot columns between x `from` and `to` (exclusive of the ends) holding `color`. */
  async function coverage(color: string, from: number, to: number): Promise<number> {
    const ink = await call<number[]>('ink', color);
    const a = (await column(from)) + 2;
    const b = (await column(to)) - 2;
    assert.ok(b > a, `a range of columns (${a}..${b})`);
    let inked = 0;
    for (let c = a; c <= b; c++) if (ink[c] > 0) inked++;
    return inked / (b - a + 1);
  }

  /** A line of `color` across (nearly) every column between x `from` and `to`. */
  async function assertLine(color: string, from: number, to: number, what: string): Promise<void> {
    const share = await coverage(color, from, to);
    assert.ok(share > 0.97, `${what}: ${(share * 100).toFixed(1)}% of the columns from ${from} to ${to} inked`);
  }

  /** Pixels of `color` within two columns of x. */
  async function inkNear(color: string, x: number): Promise<number> {
    const ink = await call<number[]>('ink', color);
    const c = await column(x);
    let sum = 0;
    for (let i = Math.max(0, c - 2); i <= c + 2 && i < ink.length; i++) sum += ink[i];
    return sum;
  }

  before(async () => {
    opened = await openBundledPage(join(root, 'test/browser/chartLinesPage.ts'), {
      viewport: { width: 1000, height: 600 },
    });
    page = opened.page;
  });

  afterEach(() => {
    assert.deepEqual(opened?.errors, []);
  });

  after(async () => {
    await opened?.close();
  });

  const dense: RunSpec = { id: 'train', color: RED, points: points(0, 2999, 1, (s) => 1 + 0.2 / (1 + s / 300)) };
  const sparse: RunSpec = { id: 'val', color: BLUE, points: points(0, 2950, 50, (s) => 3 + 0.5 / (1 + s / 300)) };

  it('draws a metric logged every 50 steps as a line beside one logged every step', async () => {
    await show({ runs: [dense, sparse] });
    await assertLine(BLUE, 0, 2950, 'the sparse run is a line across its whole range');
    await assertLine(RED, 0, 2999, 'the dense run too');
  });

  it('draws runs of different lengths and starts, each over its own range only', async () => {
    const late: RunSpec = { id: 'late', color: GREEN, points: points(1000, 2000, 25, (s) => 2 + s / 10_000) };
    await show({ runs: [dense, late] });
    await assertLine(GREEN, 1000, 2000, 'the late run');
    assert.equal(await coverage(GREEN, 0, 950), 0, 'nothing before its first step');
    assert.equal(await coverage(GREEN, 2050, 2999), 0, 'nothing after its last step');
  });

  it('marks a run of a single point, and an isolated point after a long silence', async () => {
    const single: RunSpec = { id: 'single', color: GREEN, points: [[1500, 2]] };
    const tail: RunSpec = {
      id: 'tail',
      color: PURPLE,
      points: [...points(0, 1000, 1, (s) => 2.5 + s / 10_000), [2900, 2.6]],
    };
    await show({ runs: [dense, single, tail] });
    assert.ok((await inkNear(GREEN, 1500)) >= 9, 'a visible marker where the single point is');
    assert.ok((await inkNear(PURPLE, 2900)) >= 9, 'a visible marker for the lone point');
    assert.equal(await coverage(PURPLE, 1050, 2850), 0, 'no line across the silence');
  });

  it('draws the whole marker of a lone point on the edge of the plot', async () => {
    await show({ runs: [dense, { id: 'first', color: GREEN, points: [[0, 2]] }] });
    const inked = await call<number>('inkAround', GREEN, 0, 2);
    assert.ok(inked >= 13, `a whole dot at step 0 (${inked} px)`);
  });

  it('shows a chart of a single point as a whole marker in the middle', async () => {
    await show({ runs: [{ id: 'single', color: GREEN, points: [[7, 0.5]] }] });
    const ink = await call<number[]>('ink', GREEN);
    const middle = Math.round(ink.length / 2);
    const near = ink.slice(middle - 4, middle + 5).reduce((a, b) => a + b, 0);
    assert.ok(near >= 13, `a whole marker in the middle (${near} px inked near column ${middle} of ${ink.length})`);
  });

  it('breaks the line where the run logged NaN, and bridges ordinary spacing', async () => {
    const withNan: RunSpec = {
      id: 'nan',
      color: BLUE,
      points: points(0, 2950, 50, (s) => (s === 1500 ? Number.NaN : 3 + s / 3000)),
    };
    await show({ runs: [dense, withNan] });
    await assertLine(BLUE, 0, 1450, 'before the NaN');
    await assertLine(BLUE, 1550, 2950, 'after the NaN');
    assert.equal(await coverage(BLUE, 1450, 1550), 0, 'a gap across the NaN');
  });

  it('zoomed in between two points of a sparse run, still draws its line across, unless a silence is there', async () => {
    const quiet: RunSpec = {
      id: 'quiet',
      color: GREEN,
      points: [...points(0, 1000, 50, (s) => 2 + s / 3000), ...points(2000, 2950, 50, (s) => 2 + s / 3000)],
    };
    await show({ runs: [dense, sparse], zoom: { from: 1010, to: 1040 } });
    await assertLine(BLUE, 1010, 1040, 'the line from step 1000 to step 1050, through the zoomed range');
    await show({ runs: [dense, quiet], zoom: { from: 1200, to: 1800 } });
    assert.equal(await coverage(GREEN, 1200, 1800), 0, 'nothing across its silence');
    await show({ runs: [dense, quiet], zoom: { from: 900, to: 1500 } });
    await assertLine(GREEN, 900, 1000, 'up to its last point before the silence');
    assert.equal(await coverage(GREEN, 1050, 1500), 0, 'and not on towards step 2000');
  });

  it('reveals the run whose line a click hits between two of its points', async () => {
    // A zigzag every 100 steps: halfway between two points the line is far from both.
    const zigzag: RunSpec = {
      id: 'zigzag',
      color: GREEN,
      points: points(0, 1000, 100, (s) => (s % 200 === 0 ? 0 : 10)),
    };
    await show({ runs: [zigzag, { id: 'flat', color: RED, points: points(0, 1000, 1, () => 20) }] });
    const at = await call<{ x: number; y: number }>('pagePoint', 150, 5);
    await page.mouse.click(at.x, at.y);
    assert.deepEqual(await call('sent'), [{ type: 'revealRun', runId: 'zigzag' }]);
  });

  it('keeps sparse lines on the log scale and on a wall-time axis', async () => {
    const T0 = 1_700_000_000_000;
    await show({
      runs: [
        { ...dense, points: dense.points.map(([s, v]) => [T0 + s * 1000, v]) },
        { ...sparse, points: sparse.points.map(([s, v]) => [T0 + s * 1000, v]) },
      ],
      layout: { x: 'time', yLog: true },
    });
    await assertLine(BLUE, T0, T0 + 2_950_000, 'the sparse run on wall time, log scale');
    await assertLine(RED, T0, T0 + 2_999_000, 'the dense run on wall time, log scale');
    const labels = await call<unknown[]>('yLabels');
    assert.ok(labels.includes('1') && labels.includes('10'), JSON.stringify(labels));
    assert.ok(!labels.includes('—'), `unlabelled ticks stay blank: ${JSON.stringify(labels)}`);
  });
});
