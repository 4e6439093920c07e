import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../../src/cli/cli';
import { EXIT } from '../../../src/cli/errors';
import { IDS, T0, cli, fixtureStore } from './cliFixture';

/** The id of the one experiment folder an export wrote (MLflow numbers them). */
async function experimentOf(mlruns: string): Promise<string> {
  const [folder] = (await readdir(mlruns)).filter((name) => /^\d+$/.test(name) && name !== '0');
  return folder ?? '0';
}

describe('runlog commands on a store', function () {
  this.timeout(20_000);
  let root: string;
  let store: string;
  before(async () => {
    ({ root, store } = await fixtureStore());
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('finding the store', () => {
    it('uses the nearest .runlog/ above the current folder, RUNLOG_DIR, or --dir', async () => {
      const deeper = join(root, 'src', 'models');
      await mkdir(deeper, { recursive: true });
      assert.equal((await cli(['runs', '--format', 'json'], deeper)).code, EXIT.ok);
      assert.equal((await cli(['runs'], '/', { env: { RUNLOG_DIR: store } })).code, EXIT.ok);
      assert.equal((await cli(['runs', '--dir', store], '/')).code, EXIT.ok);
    });

    it('says which store is missing, with exit 3', async () => {
      const none = await cli(['runs'], '/');
      assert.equal(none.code, EXIT.missing);
      assert.match(
        none.err,
        /^runlog runs: no Runlog store: no \.runlog\/ folder in \/ or above it \(name one with --dir/,
      );
      const wrong = await cli(['show', 'latest', '--dir', join(root, 'nope')], root);
      assert.equal(wrong.code, EXIT.missing);
      assert.match(wrong.err, /no store at .*nope \(--dir\): the folder does not exist/);
    });

    it('writes nothing into the store when reading was quick: no database, no lock', async () => {
      // "Quick" is below the threshold, set high so a loaded machine's slow open cannot cross it.
      await cli(['runs'], root, { saveAfterMs: 600_000 });
      await assert.rejects(readFile(join(store, 'runlog.db')));
      await assert.rejects(readFile(join(store, 'lock')));
    });

    it('saves a slow catch-up as runlog.db only while no process holds the lock, and gives the lock back', async () => {
      const copy = await fixtureStore();
      try {
        const lock = join(copy.store, 'lock');
        // A live writer (this process) holds the lock: the CLI only reads.
        await writeFile(
          lock,
          JSON.stringify({ pid: process.pid, host: hostname(), heartbeat: Date.now(), token: 'editor' }),
        );
        await cli(['runs'], copy.root, { saveAfterMs: 0 });
        await assert.rejects(readFile(join(copy.store, 'runlog.db')));
        await rm(lock);
        const saved = await cli(['runs', '--format', 'json'], copy.root, { saveAfterMs: 0 });
        assert.ok((await readFile(join(copy.store, 'runlog.db'))).length > 0, 'the next command starts from it');
        await assert.rejects(readFile(lock), 'the lock is given back');
        assert.equal((await cli(['runs', '--format', 'json'], copy.root)).out, saved.out);
      } finally {
        await rm(copy.root, { recursive: true, force: true });
      }
    });
  });

  describe('naming a run', () => {
    const named = async (name: string, extra: string[] = []): Promise<string> => {
      const result = await cli(['show', name, '--format', 'json', ...extra], root);
      assert.equal(result.code, EXIT.ok, result.err);
      return (JSON.parse(result.out) as { id: string }).id;
    };

    it('by id, unique id prefix of 6+ characters, name, latest, or a model URI', async () => {
      assert.equal(await named(IDS.linear), IDS.linear);
      assert.equal(await named('f00dfe'), IDS.deep);
      assert.equal(await named('calm-heron'), IDS.linear);
      assert.equal(await named('latest'), IDS.running, 'the newest run outside the trash');
      assert.equal(await named('models:/house-prices@champion'), IDS.forest);
      assert.equal(await named('models:/house-prices/2'), IDS.deep);
      assert.equal(await named('models:/house-prices/latest'), IDS.deep);
      assert.equal(await named(IDS.trashed), IDS.trashed, 'an id finds a run in the trash too');
    });

    it('latest after --filter is the newest run that matches', async () => {
      const result = await cli(
        [
          'check',
          'latest',
          '--filter',
          "params.model = 'linear'",
          '--metric',
          'rmse',
          '--max',
          '1e9',
          '--format',
          'json',
        ],
        root,
      );
      assert.equal(result.code, EXIT.ok, result.err);
      assert.equal((JSON.parse(result.out) as { candidate: { id: string } }).candidate.id, IDS.linear);
    });

    it('refuses an ambiguous prefix (exit 2) and says what is missing (exit 3)', async () => {
      const ambiguous = await cli(['show', 'aa11bb'], root);
      assert.equal(ambiguous.code, EXIT.usage);
      assert.match(ambiguous.err, /"aa11bb" is the start of 2 run ids: .*calm-heron.*bright-fox.*give more of the id/);
      const short = await cli(['show', 'f00df'], root);
      assert.equal(short.code, EXIT.missing);
      assert.match(short.err, /no run "f00df": no run has that id or name \(an id prefix needs 6 characters or more\)/);
      for (const [uri, message] of [
        ['models:/nope/1', /no registered model "nope" \(the registry has "house-prices"\)/],
        [
          'models:/house-prices@gold',
          /registered model "house-prices" has no alias "gold" \(it has @champion, @staging\)/,
        ],
        ['models:/house-prices/9', /has no version 9/],
      ] as const) {
        const result = await cli(['show', uri], root);
        assert.equal(result.code, EXIT.missing, uri);
        assert.match(result.err, message);
      }
      const shape = await cli(['show', 'models:/house-prices'], root);
      assert.equal(shape.code, EXIT.usage);
      assert.match(
        shape.err,
        /not a model URI of the form models:\/<name>\/<version\|latest> or models:\/<name>@<alias>/,
      );
    });
  });

  describe('runs', () => {
    it('lists runs newest first, leaving out the trash, with the params that differ and the metrics', async () => {
      const { code, out } = await cli(['runs'], root);
      assert.equal(code, EXIT.ok);
      assert.equal(
        out,
        [
          'id            name        status    start (UTC)            duration  model   n_estimators    rmse    r2  commit',
          '------------  ----------  --------  -------------------  ----------  ------  ------------  ------  ----  ---------',
          'c0ffee000000  busy-bee    running   2024-11-26 07:10:00              forest  200            60000        c0ffee00',
          'f00dfeed0000  deep-owl    finished  2024-11-26 05:50:00   1 h 1 min  forest  60             38500  0.94  f00dfeed*',
          'aa11bb99cc33  calm-heron  finished  2024-11-26 05:48:20        30 s  linear  20            141600  0.12  aa11bb99',
          'aa11bb22cc33  bright-fox  finished  2024-11-26 05:46:40  1 min 30 s  forest  20             40000  0.92  aa11bb22',
          '',
        ].join('\n'),
      );
    });

    it('filters with the Runs view language, orders by MLflow clauses, and limits', async () => {
      const json = async (...args: string[]): Promise<string[]> => {
        const result = await cli(['runs', '--format', 'json', ...args], root);
        assert.equal(result.code, EXIT.ok, result.err);
        return (JSON.parse(result.out) as { runs: { name: string }[] }).runs.map((r) => r.name);
      };
      assert.deepEqual(await json('--filter', "metrics.rmse < 50000 AND NOT attributes.status = 'RUNNING'"), [
        'deep-owl',
        'bright-fox',
      ]);
      assert.deepEqual(await json('--order-by', 'metrics.rmse ASC'), [
        'deep-owl',
        'bright-fox',
        'busy-bee',
        'calm-heron',
      ]);
      assert.deepEqual(await json('--order-by', 'params.model DESC', '--order-by', 'name'), [
        'calm-heron',
        'bright-fox',
        'busy-bee',
        'deep-owl',
      ]);
      assert.deepEqual(await json('--limit', '2'), ['busy-bee', 'deep-owl']);
      const table = await cli(['runs', '--limit', '2'], root);
      assert.match(table.out, /\n2 of 4 runs \(--limit N for more\)\n$/);
    });

    it('refuses a bad filter as the Runs view does, with the position marked (exit 2)', async () => {
      const result = await cli(['runs', '--filter', 'metrics.rmse < 5 AND params.lr == 1'], root);
      assert.equal(result.code, EXIT.usage);
      assert.equal(
        result.err,
        [
          'runlog runs: --filter: write "=" rather than "==" (at 31)',
          '  metrics.rmse < 5 AND params.lr == 1',
          '                                 ^^',
          '',
        ].join('\n'),
      );
      const order = await cli(['runs', '--order-by', 'attributes.colour'], root);
      assert.equal(order.code, EXIT.usage);
      assert.match(
        order.err,
        /--order-by: Invalid order_by clause 'attributes.colour': runs cannot be ordered by 'colour' here\./,
      );
      assert.equal((await cli(['runs', '--limit', '0'], root)).code, EXIT.usage);
    });

    it('writes csv (RFC 4180, every param and metric) and md (with its marker)', async () => {
      const csv = (await cli(['runs', '--format', 'csv', '--filter', "attributes.run_name = 'bright-fox'"], root)).out;
      assert.equal(
        csv,
        'run_id,name,experiment,status,start_time,end_time,duration_s,params.model,params.n_estimators,metrics.r2,metrics.rmse,git.commit,git.branch,git.dirty\r\n' +
          `${IDS.forest},bright-fox,house-prices,FINISHED,2024-11-26T05:46:40.000Z,2024-11-26T05:48:10.000Z,90,forest,20,0.92,40000,aa11bb220000000000000000000000000000000,main,false\r\n`,
      );
      const md = (await cli(['runs', '--format', 'md', '--limit', '1'], root)).out;
      assert.match(md, /^<!-- runlog:runs -->\n\*\*4 runs, 1 shown\*\*\n\n\| id \| name \|/);
    });
  });

  describe('show', () => {
    it('gives params, each metric with its best and the step it was reached, git, inputs, artifacts and models', async () => {
      const result = await cli(['show', 'deep-owl', '--format', 'json'], root);
      assert.equal(result.code, EXIT.ok);
      const shown = JSON.parse(result.out) as Record<string, unknown> & {
        metrics: Record<string, Record<string, unknown>>;
        models: { registered: unknown[] }[];
        git: Record<string, unknown>;
      };
      assert.deepEqual(shown.metrics['rmse'], {
        goal: 'min',
        count: 3,
        last: 38500,
        lastStep: 2,
        min: 38000,
        minStep: 1,
        max: 45000,
        maxStep: 0,
        best: 38000,
        bestStep: 1,
      });
      assert.deepEqual(shown.params, { model: 'forest', n_estimators: '60' });
      assert.equal(shown.git['dirty'], true);
      assert.equal(shown.git['patchBytes'], 19);
      assert.deepEqual(shown.models[0]?.registered, [{ name: 'house-prices', version: 2, aliases: ['staging'] }]);
      const table = (await cli(['show', 'deep-owl'], root)).out;
      assert.match(table, /^Run\nfield +value\n/);
      assert.match(table, /\nrmse \(min\) +38500 +2 +38000 +1 +38000 +45000 +3\n/);
      const goal = await cli(['show', 'deep-owl', '--goal', 'rmse=max', '--format', 'json'], root);
      assert.equal((JSON.parse(goal.out) as typeof shown).metrics['rmse']?.['best'], 45000);
    });
  });

  describe('compare', () => {
    it("is the Compare panel's table: best of each differing row marked, md escaped and marked", async () => {
      const table = await cli(['compare', 'bright-fox', 'deep-owl', '--only-differences'], root);
      assert.equal(table.code, EXIT.ok);
      assert.match(table.out, /\nmetrics\.rmse \(last\) +40000 +38500 \*\n/);
      assert.doesNotMatch(table.out, /\nexperiment /, 'equal rows are left out');
      const md = (await cli(['compare', 'bright-fox', 'models:/house-prices@staging', '--format', 'md'], root)).out;
      assert.match(
        md,
        /^<!-- runlog:compare -->\n### Runlog: bright-fox vs deep-owl\n\n\| {2}\| bright-fox \| deep-owl \|\n/,
      );
      assert.match(md, /\| metrics\.rmse \(last\) \| 40000 \| \*\*38500\*\* \|/);
      const csv = (await cli(['compare', 'bright-fox', 'deep-owl', '--format', 'csv'], root)).out;
      assert.match(csv, /^run_id,name,run\.status,run\.duration_s,run\.experiment,params\.model,/);
      const json = JSON.parse((await cli(['compare', 'bright-fox', 'busy-bee', '--format', 'json'], root)).out) as {
        runs: { durationMs: number | null }[];
        rows: { key: string; best: number | null }[];
      };
      assert.equal(json.runs[1]?.durationMs, null, "a running run's duration would change between two calls");
      assert.equal(json.rows.find((r) => r.key === 'metrics.rmse.last')?.best, 0);
      assert.equal((await cli(['compare', 'bright-fox'], root)).code, EXIT.usage);
      assert.equal((await cli(['compare', 'bright-fox', 'nobody'], root)).code, EXIT.missing);
    });

    it('appends its Markdown to GITHUB_STEP_SUMMARY', async () => {
      const summary = join(root, 'summary.md');
      await writeFile(summary, 'earlier step\n');
      await cli(['compare', 'bright-fox', 'deep-owl', '--format', 'json'], root, {
        env: { GITHUB_STEP_SUMMARY: summary },
      });
      const text = await readFile(summary, 'utf8');
      assert.match(text, /^earlier step\n<!-- runlog:compare -->\n### Runlog: bright-fox vs deep-owl\n/);
    });
  });

  describe('check', () => {
    const check = (...args: string[]): ReturnType<typeof cli> => cli(['check', ...args], root);

    it('exits 0 when the gate holds and 1 on a regression, with a report of each condition', async () => {
      const better = await check('deep-owl', '--metric', 'rmse', '--better-than', 'models:/house-prices@champion');
      assert.equal(better.code, EXIT.ok, better.out + better.err);
      const worse = await check('calm-heron', '--metric', 'rmse', '--better-than', 'models:/house-prices@champion');
      assert.equal(worse.code, EXIT.failed);
      assert.match(worse.out, /\nrmse +40000 +141600 +\+101600 +\+254\.00% +fail: worse\n/);
      assert.match(worse.out, /\nresult: fail \(exit 1\)\n$/);
      const bounds = await check('bright-fox', '--metric', 'rmse', '--max', '45000', '--metric', 'r2', '--min', '0.95');
      assert.equal(bounds.code, EXIT.failed);
      assert.match(bounds.out, /\nrmse +— +40000 +— +— +pass: within bounds\nr2 +— +0\.92 +— +— +fail: below 0\.95\n/);
    });

    it('applies MLflow change thresholds exactly, in the direction the metric name gives or --goal', async () => {
      const base = ['deep-owl', '--metric', 'rmse', '--better-than', 'bright-fox'];
      assert.equal((await check(...base, '--min-abs-change', '1500')).code, EXIT.ok, '38500 ≤ 40000 − 1500');
      assert.equal((await check(...base, '--min-abs-change', '1501')).code, EXIT.failed);
      assert.equal((await check(...base, '--min-rel-change', '0.0375')).code, EXIT.ok, '38500 ≤ 40000 × 0.9625');
      assert.equal((await check(...base, '--min-rel-change', '0.0376')).code, EXIT.failed);
      assert.equal(
        (await check(...base, '--goal', 'max')).code,
        EXIT.failed,
        'with rmse "higher is better" it is worse',
      );
      const best = await check(...base, '--stat', 'best', '--format', 'json');
      assert.equal((JSON.parse(best.out) as { conditions: { candidate: number }[] }).conditions[0]?.candidate, 38000);
    });

    it('exits 3 when the run, the baseline or a metric is missing, each said', async () => {
      const run = await check('nobody', '--metric', 'rmse', '--max', '1');
      assert.equal(run.code, EXIT.missing);
      assert.match(run.err, /no run "nobody"/);
      const alias = await check('deep-owl', '--metric', 'rmse', '--better-than', 'models:/house-prices@gold');
      assert.equal(alias.code, EXIT.missing);
      assert.match(alias.err, /the baseline is missing: registered model "house-prices" has no alias "gold"/);
      assert.match(alias.out, /missing: no baseline/);
      const key = await check('deep-owl', '--metric', 'mae', '--better-than', 'bright-fox');
      assert.equal(key.code, EXIT.missing);
      assert.match(key.err, /mae: missing in the candidate/);
      const allowed = await check(
        'deep-owl',
        '--metric',
        'rmse',
        '--better-than',
        'models:/house-prices@gold',
        '--allow-missing-baseline',
      );
      assert.equal(allowed.code, EXIT.ok, 'the first run of a pipeline has nothing to beat');
      assert.match(allowed.out, /pass: no baseline yet/);
    });

    it('exits 2 for a command line that cannot be a gate', async () => {
      for (const args of [
        ['deep-owl'],
        ['deep-owl', '--metric', 'rmse'],
        ['deep-owl', '--metric', 'rmse', '--min-abs-change', '1'],
        ['deep-owl', '--metric', 'rmse', '--better-than', 'bright-fox', '--min-abs-change', '-1'],
        ['deep-owl', '--metric', 'rmse', '--better-than', 'bright-fox', '--min-rel-change', '2'],
        ['deep-owl', '--metric', 'rmse', '--max', 'ten'],
        ['deep-owl', '--metric', 'rmse', '--max', '1', '--max', '2'],
        ['deep-owl', '--metric', 'rmse', '--min', '3', '--max', '2'],
        ['deep-owl', '--metric', 'rmse', '--max', '1', '--goal', 'up'],
        ['deep-owl', '--metric', 'rmse', '--max', '1', '--better-then', 'x'],
        ['deep-owl', 'bright-fox', '--metric', 'rmse', '--max', '1'],
      ]) {
        const result = await check(...args);
        assert.equal(result.code, EXIT.usage, args.join(' '));
        assert.match(result.err, /\nusage: runlog check RUN --metric KEY/, args.join(' '));
      }
      const typo = await check('deep-owl', '--metric', 'rmse', '--max', '1', '--better-then', 'x');
      assert.match(typo.err, /unknown flag --better-then \(did you mean --better-than\?\)/);
    });

    it('condition flags belong to the --metric before them', async () => {
      const result = await check(
        'bright-fox',
        '--max',
        '41000',
        '--metric',
        'rmse',
        '--metric',
        'r2',
        '--min',
        '0.9',
        '--format',
        'json',
      );
      assert.equal(result.code, EXIT.ok, result.err);
      const conditions = (JSON.parse(result.out) as { conditions: { metric: string; thresholds: unknown }[] })
        .conditions;
      assert.deepEqual(
        conditions.map((c) => [c.metric, c.thresholds]),
        [
          ['rmse', { max: 41000, min: null, minAbsChange: null, minRelChange: null }],
          ['r2', { max: null, min: 0.9, minAbsChange: null, minRelChange: null }],
        ],
      );
    });

    it('writes the md report with the columns metric, baseline, candidate, Δ, Δ%, verdict, and to the step summary', async () => {
      const summary = join(root, 'check-summary.md');
      const result = await cli(
        ['check', 'calm-heron', '--metric', 'rmse', '--better-than', 'models:/house-prices@champion', '--format', 'md'],
        root,
        { env: { GITHUB_STEP_SUMMARY: summary } },
      );
      assert.equal(
        result.out,
        [
          '<!-- runlog:check -->',
          '### ❌ Runlog check failed: a regression',
          '',
          'Candidate calm-heron (aa11bb99) against models:/house-prices@champion (version 1 @champion, run bright-fox aa11bb22).',
          '',
          '| metric | baseline | candidate | Δ | Δ% | verdict |',
          '| --- | ---: | ---: | ---: | ---: | --- |',
          '| rmse | 40000 | 141600 | +101600 | +254.00% | ❌ worse |',
          '',
          '- rmse, lower is better (from its name): no worse than the baseline 40000 (a tie passes)',
          '',
        ].join('\n'),
      );
      assert.equal(await readFile(summary, 'utf8'), `${result.out}\n`);
    });
  });

  describe('models', () => {
    it('lists versions newest first with aliases, source runs and their key metric', async () => {
      const table = await cli(['models', '--metric', 'rmse'], root);
      assert.equal(table.code, EXIT.ok);
      assert.match(
        table.out,
        /\nhouse-prices +2 +@staging +2024-11-26 06:53:20 +deep-owl \(f00dfeed\) +rmse 38500 +f00dfeed\n/,
      );
      const json = JSON.parse((await cli(['models', 'house-prices', '--format', 'json'], root)).out) as {
        models: { versions: { uri: string; aliases: string[]; run: { name: string } }[] }[];
      };
      assert.deepEqual(
        json.models[0]?.versions.map((v) => [v.uri, v.aliases, v.run.name]),
        [
          ['models:/house-prices/2', ['staging'], 'deep-owl'],
          ['models:/house-prices/1', ['champion'], 'bright-fox'],
        ],
      );
      const missing = await cli(['models', 'nope'], root);
      assert.equal(missing.code, EXIT.missing);
      assert.match(missing.err, /no registered model "nope" \(the registry has "house-prices"\)/);
    });
  });

  describe('export and import', () => {
    it('writes runs as an MLflow file store and reads one back, skipping runs already there', async () => {
      const mlruns = join(root, 'exported', 'mlruns');
      const exported = await cli(['export', '--to-mlruns', mlruns, 'bright-fox', 'deep-owl'], root);
      assert.equal(exported.code, EXIT.ok, exported.err);
      assert.match(exported.out, /^Exported 2 runs into 1 experiment in .*mlruns\n$/);
      assert.match(
        await readFile(join(mlruns, '.trash', '..', await experimentOf(mlruns), IDS.deep, 'metrics', 'rmse'), 'utf8'),
        /38500/,
      );
      const all = await cli(['export', '--to-mlruns', mlruns, '--filter', "params.model = 'linear'"], root);
      assert.match(all.out, /^Exported 1 run into 1 experiment/);
      // Outside any store and any git repository: a new .runlog/ here.
      const other = await mkdtemp(join(tmpdir(), 'runlog-cli-import-'));
      try {
        const imported = await cli(['import', '--from-mlruns', mlruns], other);
        assert.equal(imported.code, EXIT.ok, imported.err);
        assert.equal(imported.out, `Imported 3 runs from 1 experiment into ${join(other, '.runlog')}\n`);
        const again = await cli(['import', '--from-mlruns', mlruns], other);
        assert.match(again.out, /^Imported 0 runs from 0 experiments, skipped 3 already present/);
        const listed = JSON.parse((await cli(['runs', '--format', 'json'], other)).out) as { runs: { name: string }[] };
        assert.deepEqual(listed.runs.map((r) => r.name).sort(), ['bright-fox', 'calm-heron', 'deep-owl']);
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    });

    it('says what is wrong: no target (2), no such run or folder (3)', async () => {
      assert.equal((await cli(['export', 'bright-fox'], root)).code, EXIT.usage);
      assert.equal((await cli(['export', '--to-mlruns', join(root, 'x'), 'nobody'], root)).code, EXIT.missing);
      assert.equal((await cli(['import'], root)).code, EXIT.usage);
      const none = await cli(['import', '--from-mlruns', join(root, 'nowhere')], root);
      assert.equal(none.code, EXIT.missing);
      assert.match(none.err, /no MLflow store at .*nowhere: the folder does not exist/);
      const notMlflow = await cli(['import', '--from-mlruns', store], root);
      assert.equal(notMlflow.code, EXIT.missing);
      assert.match(notMlflow.err, /does not look like an MLflow store/);
    });
  });

  describe('output', () => {
    it('is byte-identical for the same input, in every format of every read command', async () => {
      const commands = [
        ['runs'],
        ['show', 'deep-owl'],
        ['compare', 'bright-fox', 'deep-owl', 'busy-bee'],
        ['check', 'busy-bee', '--metric', 'rmse', '--better-than', 'bright-fox'],
        ['models'],
      ];
      for (const command of commands) {
        const spec = COMMANDS.find((c) => c.spec.name === command[0])?.spec;
        const formats = spec?.flags.find((f) => f.name === 'format')?.choices ?? [];
        assert.ok(formats.length >= 3, command[0]);
        for (const format of formats) {
          const first = await cli([...command, '--format', format], root);
          const second = await cli([...command, '--format', format], root);
          assert.equal(first.out, second.out, `${command.join(' ')} --format ${format}`);
          assert.ok(first.out.length > 0);
        }
      }
    });

    it('colors a table only when asked (a terminal without NO_COLOR), and only wraps the same text', async () => {
      const plain = await cli(['check', 'calm-heron', '--metric', 'rmse', '--better-than', 'bright-fox'], root);
      const colored = await cli(['check', 'calm-heron', '--metric', 'rmse', '--better-than', 'bright-fox'], root, {
        color: true,
      });
      const ESC = '\u001b';
      assert.ok(!plain.out.includes(ESC));
      assert.ok(colored.out.includes(`${ESC}[31mresult: fail (exit 1)${ESC}[0m`));
      assert.equal(
        colored.out
          .split(ESC)
          .map((part, i) => (i === 0 ? part : part.replace(/^\[\d+m/, '')))
          .join(''),
        plain.out,
      );
    });

    it('gives times in UTC (ISO 8601 in json), never relative to now', async () => {
      const json = JSON.parse((await cli(['show', 'bright-fox', '--format', 'json'], root)).out) as {
        startTime: string;
      };
      assert.equal(json.startTime, new Date(T0).toISOString());
    });
  });

  describe('help', () => {
    it('documents every command and flag; unknown commands and flags get a did-you-mean', async () => {
      const main = await cli(['--help'], root);
      assert.equal(main.code, EXIT.ok);
      for (const command of COMMANDS) {
        assert.match(main.out, new RegExp(`\\n  ${command.spec.name} +\\S`), command.spec.name);
        const help = await cli([command.spec.name, '--help'], root);
        assert.equal(help.code, EXIT.ok);
        assert.match(help.out, /^usage: runlog /);
        for (const flag of command.spec.flags)
          assert.ok(help.out.includes(`--${flag.name}`), `${command.spec.name} --${flag.name}`);
      }
      assert.equal((await cli([], root)).code, EXIT.usage);
      const typo = await cli(['comapre', 'a', 'b'], root);
      assert.equal(typo.code, EXIT.usage);
      assert.match(typo.err, /unknown command "comapre" \(did you mean compare\?\)/);
      assert.equal((await cli(['--version'], root)).out, 'Runlog test\n');
    });
  });
});
