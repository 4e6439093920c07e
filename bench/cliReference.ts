// The reference of bench/cli.bench.ts, run as its own process: `runlog runs --limit 200 --format
// json`'s listing done by native SQLite (better-sqlite3) on the store's runlog.db — the same three
// queries (a page of runs with its total, their params, their metric summaries), printed as JSON.
//   node out-bench/bench/cliReference.js <store folder> <limit>
import Database from 'better-sqlite3';
import { join } from 'node:path';

const [dir = '', limitText = '200'] = process.argv.slice(2);
const limit = Number(limitText);
const db = new Database(join(dir, 'runlog.db'), { readonly: true });
const total = (db.prepare('SELECT COUNT(*) AS n FROM runs r WHERE r.deleted = 0').get() as { n: number }).n;
const runs = db
  .prepare(
    `SELECT r.id, r.name, e.name AS experiment, r.status, r.start_time, r.end_time,
       (SELECT g.commit_sha FROM git_state g WHERE g.run_id = r.id) AS git_commit
     FROM runs r JOIN experiments e ON e.id = r.experiment_id
     WHERE r.deleted = 0 ORDER BY r.start_time DESC, r.id LIMIT ?`,
  )
  .all(limit) as { id: string; start_time: number; end_time: number | null }[];
const ids = runs.map((r) => r.id);
const marks = ids.map(() => '?').join(', ');
const params = db
  .prepare(`SELECT run_id, key, value FROM params WHERE run_id IN (${marks}) ORDER BY key`)
  .all(...ids) as {
  run_id: string;
  key: string;
  value: string;
}[];
const metrics = db
  .prepare(
    `SELECT run_id, key, count, last, last_step, min, max FROM metric_series WHERE run_id IN (${marks}) ORDER BY run_id, key`,
  )
  .all(...ids) as { run_id: string; key: string }[];
const out = runs.map((run) => ({
  ...run,
  startTime: new Date(run.start_time).toISOString(),
  params: Object.fromEntries(params.filter((p) => p.run_id === run.id).map((p) => [p.key, p.value])),
  metrics: Object.fromEntries(metrics.filter((m) => m.run_id === run.id).map((m) => [m.key, m])),
}));
process.stdout.write(`${JSON.stringify({ total, runs: out }, null, 2)}\n`);
db.close();
