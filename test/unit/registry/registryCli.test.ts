import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelServer, RegistryError, aliasProblem, runRegistry, versionUri } from '../../../src/registry/registryCli';
import { RunStore } from '../../../src/store/runStore';

const root = join(__dirname, '..', '..', '..', '..');
const client = { python: 'python3', clientPath: join(root, 'python') };

describe('the registry through the Python client', function () {
  this.timeout(60_000);
  let dir: string;
  let store: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-registry-cli-'));
    store = join(dir, '.runlog');
    // A run that logs a pickled model whose class travels in code/.
    await writeFile(
      join(dir, 'log.py'),
      `import os, pickle, sys, tempfile
import runlog
folder = tempfile.mkdtemp()
os.makedirs(os.path.join(folder, "code"))
with open(os.path.join(folder, "code", "doubler.py"), "w") as f:
    f.write("class Doubler:\\n    def predict(self, rows):\\n        return [2 * r[0] for r in rows]\\n")
sys.path.insert(0, os.path.join(folder, "code"))
from doubler import Doubler
with open(os.path.join(folder, "model.pkl"), "wb") as f:
    pickle.dump(Doubler(), f)
with runlog.start_run(experiment="e") as run:
    runlog.log_model(folder, name="model", flavor="pickle")
    print(run.id)
`,
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('registers, moves aliases, refuses rule breaks with the reason, and serves a version', async () => {
    const runId = execFileSync('python3', [join(dir, 'log.py')], {
      cwd: dir,
      env: { ...process.env, PYTHONPATH: client.clientPath, RUNLOG_DIR: store },
      encoding: 'utf8',
    }).trim();
    const first = (await runRegistry(client, store, ['register', `runs:/${runId}/model`, 'doubler'])) as {
      version: number;
    };
    assert.equal(first.version, 1);
    const second = (await runRegistry(client, store, ['register', `runs:/${runId}/model`, 'doubler'])) as {
      version: number;
    };
    assert.equal(second.version, 2);
    await runRegistry(client, store, ['set-alias', 'doubler', 'champion', '2']);
    await assert.rejects(
      runRegistry(client, store, ['set-alias', 'doubler', 'champion', '9']),
      (error: Error) => error instanceof RegistryError && /does not exist/.test(error.message),
    );
    const opened = await RunStore.open({ dir: store, writer: false, version: 'test' });
    await opened.syncJournals();
    const [model] = opened.query('registeredModels');
    opened.close();
    assert.equal(model?.name, 'doubler');
    assert.deepEqual(
      model.versions.map((v) => [v.version, v.aliases]),
      [
        [2, ['champion']],
        [1, []],
      ],
    );

    let log = '';
    const server = new ModelServer(client, store, versionUri('doubler', 2), (text) => (log += text));
    try {
      const url = await server.url;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ inputs: [[1], [2.5]] }),
      });
      assert.deepEqual(await response.json(), { predictions: [2, 5] });
    } finally {
      server.stop();
    }
    assert.equal(await server.exited, 0, log);
    const missing = new ModelServer(client, store, 'models:/nope/1', () => undefined);
    await assert.rejects(missing.url, RegistryError);
  });

  it('checks aliases the way MLflow does', () => {
    assert.equal(aliasProblem('champion'), undefined);
    assert.equal(aliasProblem('prod-2'), undefined);
    assert.match(aliasProblem('latest') ?? '', /version/);
    assert.match(aliasProblem('v3') ?? '', /version/);
    assert.ok(aliasProblem('with space'));
    assert.ok(aliasProblem(''));
  });
});
