// `npm run bench -- --only cli`: `runlog runs --limit 200` on a store of 10,000 runs from a cold
// start — a new Node process that loads the bundled CLI and sql.js, reads runlog.db (saved by an
// editor before the last 100 runs were written) and catches up those journals in memory, then
// lists — against the same listing done by native SQLite (better-sqlite3) in a new process on the
// same runlog.db (bench/cliReference.ts). Both are timed from spawn to exit. The target is 1 s.
// A second figure is the same command on a store no editor ever saved (CI without an editor): it
// replays every journal, and then saves runlog.db for the next command (src/cli/cliStore.ts).
//   node out-bench/bench/cli.bench.js [--runs N]
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../src/store/runStore';
import { Figures, median, option } from './figures';

const RUNS = Number(option('runs') ?? 10_000);
const LATE = 100;
const LIMIT = 200;
const SAMPLES = 7;
const TARGET_MS = 1_000;
const REPO = join(__dirname, '../..');

/** Journals the way the Python client writes them: start, git, params, a few points of two metrics, end. */
function writeJournals(dir: string, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const id = `run${String(i).padStart(6, '0')}`;
    const ts = 1_732_600_000_000 + i * 60_000;
    const lines = [
      { t: 'run_start', ts, run_id: id, name: `run-${i}`, experiment: 'sweep', command: 'python train.py' },
      {
        t: 'git',
        ts,
        commit: `c${String(i % 97).padStart(39, '0')}`,
        branch: 'main',
        dirty: false,
        patch: '',
        untracked: [],
      },
      { t: 'param', ts, key: 'lr', value: String(0.001 * (1 + (i % 10))) },
      { t: 'param', ts, key: 'layers', value: String(2 + (i % 4)) },
      { t: 'param', ts, key: 'optimizer', value: i % 2 ? 'adam' : 'sgd' },
      ...[0, 1, 2, 3].flatMap((step) => [
        { t: 'metric', ts: ts + step, key: 'loss', value: 1 / (step + 1 + (i % 7)), step },
        { t: 'metric', ts: ts + step, key: 'val_loss', value: 1.1 / (step + 1 + (i % 5)), step },
      ]),
      { t: 'run_end', ts: ts + 50_000, status: 'FINISHED' },
    ];
    mkdirSync(join(dir, 'runs', id), { recursive: true });
    writeFileSync(join(dir, 'runs', id, 'events.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  }
}

/** The CLI as it ships: one bundle (scripts/build.mjs' settings) with sql-wasm.wasm beside it. */
async function bundleCli(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: { cli: join(REPO, 'src/cli/main.ts') },
    outdir: outDir,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'es2022',
    logLevel: 'warning',
  });
  copyFileSync(join(REPO, 'node_modules/sql.js/dist/sql-wasm.wasm'), join(outDir, 'sql-wasm.wasm'));
  return join(outDir, 'cli.js');
}

/** Median wall time of a new process, spawn to exit; checks each run printed the listing. */
function timedProcess(
  args: readonly string[],
  check: (stdout: string) => void,
  before = (): void => undefined,
): number {
  const samples: number[] = [];
  for (let i = 0; i <= SAMPLES; i++) {
    before();
    const start = performance.now();
    const done = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
    const ms = performance.now() - start;
    if (done.status !== 0) throw new Error(`${args.join(' ')} exited ${String(done.status)}: ${done.stderr}`);
    check(done.stdout);
    if (i > 0) samples.push(ms); // the first warms the file cache
  }
  return median(samples);
}

function listed(expectedTotal: number): (stdout: string) => void {
  return (stdout) => {
    const { total, runs } = JSON.parse(stdout) as { total: number; runs: { id: string }[] };
    if (total !== expectedTotal || runs.length !== LIMIT) throw new Error(`listed ${runs.length} of ${total} runs`);
    if (runs[0]?.id !== `run${String(expectedTotal - 1).padStart(6, '0')}`) throw new Error(`newest is ${runs[0]?.id}`);
  };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'runlog-bench-cli-'));
  try {
    console.log(`runlog runs --limit ${LIMIT}: a store of ${RUNS.toLocaleString('en-US')} runs, cold start`);
    const cli = await bundleCli(join(root, 'bundle'));
    const saved = join(root, 'saved', '.runlog');
    writeJournals(saved, 0, RUNS - LATE);
    const writer = await RunStore.open({ dir: saved, writer: true, version: 'bench' });
    await writer.snapshot();
    writer.close();
    writeJournals(saved, RUNS - LATE, RUNS);
    const fresh = join(root, 'fresh', '.runlog');
    writeJournals(fresh, 0, RUNS);

    const args = (dir: string): string[] => [cli, 'runs', '--limit', String(LIMIT), '--format', 'json', '--dir', dir];
    const ours = timedProcess(args(saved), listed(RUNS));
    const replayed = timedProcess(args(fresh), listed(RUNS), () => rmSync(join(fresh, 'runlog.db'), { force: true }));
    const reference = timedProcess([join(__dirname, 'cliReference.js'), saved, String(LIMIT)], (stdout) => {
      const { runs } = JSON.parse(stdout) as { runs: unknown[] };
      if (runs.length !== LIMIT) throw new Error(`the reference listed ${runs.length} runs`);
    });
    // What the CLI's time is made of, in this process: Node's own start and the bundle's load are the rest.
    const start = performance.now();
    const store = await RunStore.open({ dir: saved, writer: false, version: 'bench' });
    const opened = performance.now() - start;
    store.close();

    const figures = new Figures();
    const n = RUNS.toLocaleString('en-US');
    figures.record(`runlog runs --limit ${LIMIT}, ${n} runs, cold`, ours, 'ms', reference, false);
    figures.record(`… on a store never saved (replayed, then saved)`, replayed, 'ms', reference, false);
    figures.printTable();
    await figures.writeJson(option('json'));
    console.log(
      `target: ≤ ${TARGET_MS} ms, ${ours <= TARGET_MS ? 'met' : 'MISSED'}. Of the first figure, opening the store (sql.js, runlog.db, catching up ${LATE} journals) takes ${opened.toFixed(0)} ms in a warm process.`,
    );
    console.log(
      'Both figures and the reference are new Node processes timed from spawn to exit (median of 7). The reference lists with native SQLite on the same runlog.db and reads no journal.',
    );
    if (ours > TARGET_MS) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
