// `npm run bench` (media part): the Media panel's page in a real browser (Debian's Chromium through
// playwright-core) over 20 runs × 1 key × 1,000 logged steps, images as files on disk in MLflow's
// layout: how long a new step takes to be on screen (every run's image decoded and painted) when
// the slider moves, beside bare `<img>` elements given the same files; and what the page keeps
// decoded after scrubbing through all 1,000 steps, beside keeping every image it showed. Targets
// from the issue: a new step shown ≤ 100 ms; memory bounded by the images on screen plus the cache
// (webview/media/imageCache.ts: 200 images, 24 million pixels).
import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM, openBundledPage } from '../test/support/browserPage';
import { stepPicture } from '../test/support/pngFiles';
import { Figures, median, option } from './figures';

const root = join(__dirname, '..', '..');
const RUNS = 20;
const STEPS = 1000;
/** Logged images' size (pixels a side): a sample prediction, a small generated image. */
const SIDE = 96;

interface Held {
  onScreen: number;
  decoded: number;
  cached: number;
  decodedBytes: number;
  /** The cache's limits beyond the images on screen. */
  capacity: number;
  pixels: number;
}

/** The page's global, typed here because this file is compiled without the DOM library. */
interface MediaBench {
  open(setup: { bases: string[]; files: string[] }): Promise<number>;
  moveTo(step: number): Promise<number>;
  next(): Promise<number>;
  held(): Held;
  bare(step: number, count: number): Promise<number>;
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`media benchmark skipped: ${CHROMIUM} not found (apt-get install chromium, or set RUNLOG_CHROMIUM)`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'runlog-media-bench-'));
  const files = Array.from(
    { length: STEPS },
    (_, step) => `images/samples%step%${step}%timestamp%${1_700_000_000_000 + step}%g${step}-bench.png`,
  );
  // Each step's picture written once and hard-linked into every run: the runs' URLs differ (so
  // every image is fetched and decoded on its own), the disk holds one copy.
  const pictures = join(dir, 'pictures');
  await mkdir(pictures);
  let bytes = 0;
  for (let step = 0; step < STEPS; step++) {
    const png = stepPicture(SIDE, step);
    bytes += png.length;
    await writeFile(join(pictures, `${step}.png`), png);
  }
  const bases: string[] = [];
  for (let r = 0; r < RUNS; r++) {
    const folder = join(dir, `run-${r}`, 'artifacts');
    await mkdir(join(folder, 'images'), { recursive: true });
    for (const [step, path] of files.entries())
      await link(join(pictures, `${step}.png`), join(folder, ...path.split('/')));
    bases.push(`${pathToFileURL(folder).href}/`);
  }
  const figures = new Figures();
  const { browser, page, close } = await openBundledPage(join(root, 'webview/media/renderBench.ts'), {
    minify: true,
    viewport: { width: 1400, height: 900 },
  });
  const call = <K extends keyof MediaBench>(name: K, ...args: Parameters<MediaBench[K]>) =>
    page.evaluate(
      ([n, a]) => {
        const bench = (globalThis as unknown as { mediaBench: Record<string, (...x: unknown[]) => unknown> })
          .mediaBench;
        return bench[n](...a);
      },
      [name, args as unknown[]] as const,
    ) as Promise<Awaited<ReturnType<MediaBench[K]>>>;
  try {
    console.log(
      `Runlog media benchmark (Chromium ${browser.version()}; ${RUNS} runs × 1 key × ${STEPS.toLocaleString('en-US')} steps, ` +
        `${SIDE}×${SIDE} PNG files of ${(bytes / STEPS / 1024).toFixed(0)} KB; until every run's image is decoded and painted)`,
    );
    const opened = await call('open', { bases, files });
    const bareOpen = await call('bare', STEPS - 2, RUNS);
    figures.record(
      `open: ${RUNS} runs × ${STEPS.toLocaleString('en-US')} steps, latest step shown`,
      opened,
      'ms',
      bareOpen,
      false,
    );

    // Jumps to steps nothing fetched yet (a click on the slider, a drag's stop): every image loads and decodes.
    const jumps = [500, 120, 870, 333, 640, 45, 760, 250, 920, 410, 580, 180, 705];
    const jumped: number[] = [];
    const bareJumps: number[] = [];
    for (const [i, step] of jumps.entries()) {
      jumped.push(await call('moveTo', step));
      // The reference loads other unvisited steps' files (nothing cached for either).
      bareJumps.push(await call('bare', step + 50 + (i % 3), RUNS));
    }
    figures.record(`move the slider to a new step: ${RUNS} images`, median(jumped), 'ms', median(bareJumps), false);
    const worst = Math.max(...jumped);
    console.log(
      `  (slider jumps: median ${median(jumped).toFixed(1)} ms, worst ${worst.toFixed(1)} ms of ${jumps.length})`,
    );

    // Scrubbing: → through every step from the first; the next steps are fetched ahead.
    await call('moveTo', 0);
    const stepped: number[] = [];
    for (let step = 1; step < STEPS; step++) stepped.push(await call('next'));
    const bareNext: number[] = [];
    for (let i = 0; i < 15; i++) bareNext.push(await call('bare', 5 + i * 61, RUNS));
    const sorted = [...stepped].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)];
    figures.record(`→ the next step while scrubbing: ${RUNS} images`, median(stepped), 'ms', median(bareNext), false);
    console.log(`  (scrubbing ${STEPS - 1} steps: median ${median(stepped).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms)`);

    const held = await call('held');
    const everything = RUNS * STEPS;
    const decodedMb = held.decodedBytes / 1024 / 1024;
    const everyMb = (everything * SIDE * SIDE * 4) / 1024 / 1024;
    figures.record(
      `decoded images held after scrubbing all ${STEPS.toLocaleString('en-US')} steps`,
      held.decoded,
      'images',
      everything,
      false,
    );
    figures.record('decoded image memory held after scrubbing', decodedMb, 'MB', everyMb, false);
    console.log(
      `  (${held.onScreen} on screen + ${held.cached} cached; the cache keeps at most ${held.capacity} images ` +
        `and ${(held.pixels / 1e6).toFixed(0)} million pixels beyond those on screen)`,
    );
    figures.printTable();
    await figures.writeJson(option('json'));
  } finally {
    await close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
