// `npm run bench` (charts part): how long the Charts panel takes to draw, measured in a real
// browser (Debian's Chromium through playwright-core) until the pixels are there, beside bare
// Canvas 2D drawing the same lines and bands in the same page. Targets from the issues: 100 runs ×
// 2000 points ≤ 100 ms; a panel of 20 charts no slower than bare canvas.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM, openBundledPage } from '../test/support/browserPage';
import { Figures, option } from './figures';

const root = join(__dirname, '..', '..');

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`charts benchmark skipped: ${CHROMIUM} not found (apt-get install chromium, or set RUNLOG_CHROMIUM)`);
    return;
  }
  const figures = new Figures();
  const { browser, page, close } = await openBundledPage(join(root, 'webview/charts/renderBench.ts'), {
    minify: true,
  });
  try {
    console.log(
      `Runlog charts benchmark (Chromium ${browser.version()}, 1200×240 px charts, until rasterized, median of 5)`,
    );
    const cases: [string, number, number, number][] = [
      ['draw 1 chart: 100 runs × 2,000 points', 1, 100, 2000],
      ['draw 20 charts: 100 runs × 600 buckets each', 20, 100, 600],
      ['draw 1 chart: 10 runs × 2,000 points', 1, 10, 2000],
    ];
    for (const [name, charts, runs, buckets] of cases) {
      // The page's global, typed here because this file is compiled without the DOM library.
      const result = await page.evaluate(
        ([c, r, b]) =>
          (
            globalThis as unknown as {
              runlogBench(
                c: number,
                r: number,
                b: number,
                repeat: number,
              ): Promise<{ runlog: number; reference: number }>;
            }
          ).runlogBench(c, r, b, 5),
        [charts, runs, buckets] as const,
      );
      figures.record(name, result.runlog, 'ms', result.reference, false);
    }
    figures.printTable();
    await figures.writeJson(option('json'));
  } finally {
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
