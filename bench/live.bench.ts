// `npm run bench -- --only live`: how soon a store announces a running run's new journal line, in a
// store of many runs. The store watches the running run's folder and reads that one journal; the
// reference is what it did before, and still does every 5 s as a safety net: a rescan of every
// journal. A ratio ≥ 1 means the watched path did better.
//   npm run bench -- --only live --runs N     runs in the store (default 10,000)
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreService } from '../src/store/storeService';
import { Figures, median, option } from './figures';

const RUNS = Number(option('runs') ?? 10_000);
const APPENDS = 40;
const figures = new Figures();

const line = (event: object): string => `${JSON.stringify(event)}\n`;

async function main(): Promise<void> {
  const dir = join(await mkdtemp(join(tmpdir(), 'runlog-bench-live-')), '.runlog');
  try {
    console.log(`live: a store of ${RUNS.toLocaleString('en-US')} finished runs and one running run`);
    for (let i = 0; i < RUNS; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, RUNS - i) }, async (_, j) => {
          const id = `old-${i + j}`;
          await mkdir(join(dir, 'runs', id), { recursive: true });
          await writeFile(
            join(dir, 'runs', id, 'events.jsonl'),
            line({ t: 'run_start', ts: 1, run_id: id, name: id, experiment: 'bench' }) +
              line({ t: 'metric', ts: 2, key: 'loss', value: 0.5, step: 0 }) +
              line({ t: 'run_end', ts: 3, status: 'FINISHED' }),
          );
        }),
      );
    }
    const journal = join(dir, 'runs', 'live', 'events.jsonl');
    await mkdir(join(dir, 'runs', 'live'), { recursive: true });
    await writeFile(journal, line({ t: 'run_start', ts: 1, run_id: 'live', name: 'live', experiment: 'bench' }));
    let noticed: (() => void) | undefined;
    const service = await StoreService.start(
      // No safety-net rescan and no snapshot while measuring.
      { dir, version: 'bench', pollMs: 3_600_000, settleMs: 3_600_000, maxDelayMs: 3_600_000 },
      {
        changed: (runIds) => {
          if (runIds.includes('live')) noticed?.();
        },
        log: () => undefined,
      },
    );
    try {
      let step = 0;
      const append = (): Promise<void> =>
        appendFile(journal, line({ t: 'metric', ts: Date.now(), key: 'loss', value: 1 / ++step, step }));
      const watched: number[] = [];
      for (let i = 0; i < APPENDS; i++) {
        const notice = new Promise<void>((resolve) => (noticed = resolve));
        const start = performance.now();
        await append();
        await notice;
        watched.push(performance.now() - start);
      }
      noticed = undefined;
      const rescanned: number[] = [];
      for (let i = 0; i < APPENDS / 4; i++) {
        // The same append, then a rescan of every journal: what each change notice cost before.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const start = performance.now();
        await append();
        await service.sync();
        rescanned.push(performance.now() - start);
      }
      figures.record(
        `append → change notice, store of ${RUNS.toLocaleString('en-US')} runs (median of ${APPENDS})`,
        median(watched),
        'ms',
        median(rescanned),
        false,
      );
    } finally {
      await service.close();
    }
    figures.printTable();
    await figures.writeJson(option('json'));
  } finally {
    await rm(join(dir, '..'), { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
