import * as assert from 'node:assert/strict';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT } from '../../../src/cli/errors';
import { IDS, cli, fixtureStore } from './cliFixture';

interface Promoted {
  readonly outcome: string;
  readonly exitCode: number;
  readonly version: number;
  readonly previous: number | null;
}

// Promotions change the registry through the Python client (python3 -m runlog.registry).
describe('runlog promote', function () {
  this.timeout(60_000);
  let root: string;
  let store: string;
  beforeEach(async () => {
    ({ root, store } = await fixtureStore());
    for (const id of [IDS.forest, IDS.deep])
      await mkdir(join(store, 'runs', id, 'artifacts', 'model'), { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const champion = async (): Promise<number | undefined> => {
    const models = JSON.parse((await cli(['models', '--format', 'json'], root)).out) as {
      models: { versions: { version: number; aliases: string[] }[] }[];
    };
    return models.models[0]?.versions.find((v) => v.aliases.includes('champion'))?.version;
  };

  const promote = async (
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ code: number; result: Promoted; err: string }> => {
    const ran = await cli(['promote', ...args, '--format', 'json'], root, {
      env: { PATH: process.env['PATH'], ...env },
    });
    return { code: ran.code, result: JSON.parse(ran.out || '{}') as Promoted, err: ran.err };
  };

  it('moves an alias, and says when it already points there', async () => {
    const moved = await promote(['models:/house-prices/2', '--alias', 'champion']);
    assert.equal(moved.code, EXIT.ok, moved.err);
    assert.deepEqual([moved.result.outcome, moved.result.previous, moved.result.version], ['promoted', 1, 2]);
    assert.equal(await champion(), 2);
    const again = await promote(['models:/house-prices/2', '--alias', 'champion']);
    assert.deepEqual([again.code, again.result.outcome], [EXIT.ok, 'already']);
    const table = await cli(['promote', 'runs:/bright-fox/model', '--alias', 'production'], root, {
      env: { PATH: process.env['PATH'] },
    });
    assert.equal(
      table.out,
      'promoted: @production of house-prices now points at version 1 (it pointed at no version)\n',
    );
  });

  it('promotes only when the gate holds against the current holder (exit 1 otherwise, nothing changed)', async () => {
    const gate = ['--if-better-than', 'models:/house-prices@champion', '--metric', 'rmse'];
    const tie = await cli(['promote', 'models:/house-prices/1', '--alias', 'staging', ...gate], root);
    assert.equal(tie.code, EXIT.ok, 'version 1 is the champion: a tie, no regression');
    const better = await promote(['runs:/deep-owl/model', '--alias', 'champion', ...gate]);
    assert.equal(better.code, EXIT.ok, better.err);
    assert.equal(await champion(), 2);
    const back = await promote(['models:/house-prices/1', '--alias', 'champion', ...gate]);
    assert.deepEqual([back.code, back.result.outcome], [EXIT.failed, 'not-better']);
    assert.equal(await champion(), 2, 'the better model stays champion');
    const md = await cli(['promote', 'models:/house-prices/1', '--alias', 'champion', ...gate, '--format', 'md'], root);
    assert.match(md.out, /^<!-- runlog:promote -->\n### ❌ Runlog check failed: a regression\n/);
    assert.match(
      md.out,
      /\*\*not promoted: version 1 of house-prices does not pass the gate; @champion stays at version 2\*\*\n$/,
    );
  });

  it('exits 3 for a missing version or baseline, unless the first champion is allowed', async () => {
    const version = await cli(['promote', 'models:/house-prices/9', '--alias', 'champion'], root);
    assert.equal(version.code, EXIT.missing);
    assert.match(version.err, /has no version 9/);
    const gate = ['--if-better-than', 'models:/house-prices@gold', '--metric', 'rmse'];
    const baseline = await promote(['models:/house-prices/2', '--alias', 'gold', ...gate]);
    assert.deepEqual([baseline.code, baseline.result.outcome], [EXIT.missing, 'missing']);
    assert.match(baseline.err, /the baseline is missing: registered model "house-prices" has no alias "gold"/);
    const first = await promote(['models:/house-prices/2', '--alias', 'gold', ...gate, '--allow-missing-baseline']);
    assert.deepEqual([first.code, first.result.outcome, first.result.previous], [EXIT.ok, 'promoted', null]);
    const unregistered = await cli(['promote', 'runs:/calm-heron/model', '--alias', 'x'], root);
    assert.equal(unregistered.code, EXIT.missing);
    assert.match(unregistered.err, /the model "model" of run calm-heron \(.*\) is not registered/);
  });

  it('refuses a command line that cannot promote (exit 2)', async () => {
    for (const [args, message] of [
      [['models:/house-prices/2'], /--alias ALIAS is required/],
      [['models:/house-prices/2', '--alias', 'latest'], /--alias latest: "latest" would read as a version/],
      [
        ['models:/house-prices/2', '--alias', 'c', '--if-better-than', 'models:/house-prices@champion'],
        /--if-better-than needs --metric KEY/,
      ],
      [['house-prices', '--alias', 'c'], /not a model URI: "house-prices"/],
    ] as const) {
      const result = await cli(['promote', ...args], root);
      assert.equal(result.code, EXIT.usage, args.join(' '));
      assert.match(result.err, message);
    }
  });

  it('says when the registry cannot be changed (exit 4): no Python', async () => {
    const result = await cli(['promote', 'models:/house-prices/2', '--alias', 'champion'], root, {
      env: { RUNLOG_PYTHON: join(root, 'no-such-python') },
    });
    assert.equal(result.code, EXIT.error);
    assert.match(result.err, /the registry refused: could not start .*no-such-python/);
    assert.equal(await champion(), 1);
  });

  it('loses cleanly to a job that moved the alias first: it checks again against the new champion', async () => {
    // The other CI job registers deep-owl's model again (version 3) and makes it champion between
    // our reading of the registry and our compare-and-set.
    const mark = join(root, 'raced');
    const python = join(root, 'racing-python');
    await writeFile(
      python,
      [
        '#!/bin/sh',
        `if [ ! -e '${mark}' ]; then`,
        `  touch '${mark}'`,
        `  python3 -m runlog.registry --store '${store}' register 'runs:/${IDS.deep}/model' house-prices >/dev/null`,
        `  python3 -m runlog.registry --store '${store}' set-alias house-prices champion 3 >/dev/null`,
        'fi',
        'exec python3 "$@"',
        '',
      ].join('\n'),
    );
    await chmod(python, 0o755);
    const gate = ['--if-better-than', 'models:/house-prices@champion', '--metric', 'rmse', '--min-abs-change', '1'];
    const lost = await promote(['models:/house-prices/2', '--alias', 'champion', ...gate], { RUNLOG_PYTHON: python });
    assert.deepEqual([lost.code, lost.result.outcome, lost.result.previous], [EXIT.failed, 'not-better', 3], lost.err);
    assert.equal(await champion(), 3, "the other job's promotion stands");
  });
});
