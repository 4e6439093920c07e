// `npm run faults`: the fault-injection suite. Each fault is made for real where this machine
// allows (SIGKILL, a small tmpfs, a read-only remount, symlinks, sockets cut mid-upload) and
// injected at the file-system layer where it does not (no permission to mount). Prints one table —
// fault, trials, acknowledged events lost, corrupt stores, leaked descriptors/temp files — and exits
// non-zero on any loss, corruption or leak.
//   node out-faults/test/faults/faults.js            the long mode: 1150 SIGKILLs and every fault
//   node out-faults/test/faults/faults.js --short    about a minute, for `npm test`
//   … --only "SIGKILL ingest" [--kills N]            one fault (npm run torture)
//   … --json FILE                                    the rows as JSON too
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Outcome } from './checks';
import { killCompaction } from './compaction';
import { fullDisk, readOnlyStore } from './disks';
import { killEndpoint, killIngest } from './kills';
import { concurrentWriters, oversizedLines, symlinks, uploads } from './writers';

const args = process.argv.slice(2);
const short = args.includes('--short');
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const only = option('only');
const kills = option('kills');
const json = option('json');
const log = (line: string): void => console.log(line);

interface Fault {
  readonly name: string;
  readonly run: () => Promise<Outcome & { rssMb?: number }>;
}

const FAULTS: readonly Fault[] = [
  { name: 'SIGKILL ingest + snapshot', run: () => killIngest(Number(kills ?? (short ? 12 : 600)), log) },
  { name: 'SIGKILL endpoint writes', run: () => killEndpoint(Number(kills ?? (short ? 8 : 400)), log) },
  { name: 'SIGKILL compaction', run: () => killCompaction(Number(kills ?? (short ? 9 : 150)), log) },
  { name: 'full disk', run: () => fullDisk() },
  { name: 'read-only store', run: () => readOnlyStore(short ? 300_000 : 1_200_000) },
  { name: 'oversized and binary lines', run: () => oversizedLines(short ? 1 : 3) },
  { name: 'concurrent writers', run: () => concurrentWriters(short ? 1 : 5) },
  { name: 'aborted and slow uploads', run: () => uploads(short ? 200 : 1000) },
  { name: 'symlinks in the store', run: () => symlinks() },
];

interface Row {
  fault: string;
  trials: number;
  lost: number;
  corrupt: number;
  leaked: number;
  failed?: string;
  notes: string[];
  seconds: number;
}

function table(rows: readonly Row[]): string {
  const header = ['fault', 'trials', 'acknowledged events lost', 'corrupt stores', 'leaked descriptors/temp files'];
  const cells = rows.map((r) => [
    r.fault,
    String(r.trials),
    r.failed ? 'ERROR' : String(r.lost),
    String(r.corrupt),
    String(r.leaked),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const format = (c: readonly string[]): string =>
    `| ${c.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [
    format(header),
    `|${widths.map((w, i) => (i === 0 ? '-' : '-').repeat(w + 2)).join('|')}|`,
    ...cells.map(format),
  ].join('\n');
}

async function main(): Promise<void> {
  const selected = FAULTS.filter((f) => !only || f.name === only);
  if (selected.length === 0) throw new Error(`no fault named "${only ?? ''}"`);
  const rows: Row[] = [];
  for (const fault of selected) {
    log(`▶ ${fault.name}`);
    const started = Date.now();
    let row: Row;
    try {
      const result = await fault.run();
      const via = result.via ? ` (${result.via})` : '';
      const rss = result.rssMb !== undefined ? [`Python peak RSS ${result.rssMb.toFixed(0)} MB`] : [];
      row = { fault: fault.name + via, ...result, notes: [...result.notes, ...rss], seconds: 0 };
    } catch (error) {
      row = {
        fault: fault.name,
        trials: 0,
        lost: 0,
        corrupt: 0,
        leaked: 0,
        failed: String(error),
        notes: [],
        seconds: 0,
      };
    }
    row.seconds = (Date.now() - started) / 1000;
    rows.push(row);
    log(`  ${row.trials} trials in ${row.seconds.toFixed(1)} s`);
  }
  log('');
  log(table(rows));
  for (const row of rows) {
    for (const note of [...(row.failed ? [`failed: ${row.failed}`] : []), ...row.notes.slice(0, 10)]) {
      log(`- ${row.fault}: ${note}`);
    }
  }
  if (json) {
    mkdirSync(dirname(json), { recursive: true });
    writeFileSync(json, `${JSON.stringify(rows, null, 2)}\n`);
  }
  const bad = rows.filter((r) => r.failed || r.lost > 0 || r.corrupt > 0 || r.leaked > 0 || r.trials === 0);
  const sigkills = rows.filter((r) => r.fault.startsWith('SIGKILL')).reduce((n, r) => n + r.trials, 0);
  log(`\n${rows.length - bad.length} of ${rows.length} faults held (${sigkills} SIGKILLs)`);
  if (bad.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
