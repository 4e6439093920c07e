import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunsTreeNode } from '../../src/views/runsTreeProvider';
import { api, dropStoreDir, labelOf, screenshot, storedRun, useStoreDir, waitFor, workspaceFolder } from './helpers';

// A training script that speaks MLflow's REST protocol the way `mlflow` does after
// `start_run()` joined MLFLOW_RUN_ID, with urllib only (no mlflow package offline).
const SCRIPT = `import json, os, time, urllib.parse, urllib.request

URI = os.environ["MLFLOW_TRACKING_URI"]
TOKEN = os.environ["MLFLOW_TRACKING_TOKEN"]
RUN_ID = os.environ["MLFLOW_RUN_ID"]


def call(method, path, body=None, query=None):
    url = URI + "/api/2.0/mlflow/" + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": "Bearer " + TOKEN}
    if data is not None:
        headers["Content-Type"] = "application/json"
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method=method)) as reply:
        return json.load(reply)


now = lambda: int(time.time() * 1000)
run = call("GET", "runs/get", query={"run_id": RUN_ID})["run"]
call("POST", "runs/update", {"run_id": RUN_ID, "run_uuid": RUN_ID, "status": "RUNNING"})
call("POST", "runs/log-parameter", {"run_id": RUN_ID, "run_uuid": RUN_ID, "key": "alpha", "value": "0.5"})
for step in range(5):
    call("POST", "runs/log-metric", {"run_id": RUN_ID, "key": "mse", "value": 1.0 / (step + 1), "timestamp": now(), "step": step})
call("POST", "runs/log-batch", {
    "run_id": RUN_ID,
    "metrics": [{"key": "r2", "value": 0.875, "timestamp": now(), "step": 0}],
    "params": [{"key": "l1_ratio", "value": "0.1"}],
    "tags": [{"key": "mlflow.source.type", "value": "LOCAL"}],
})
call("POST", "runs/update", {"run_id": RUN_ID, "run_uuid": RUN_ID, "status": "FINISHED", "end_time": now()})
print("logged to run", run["info"]["run_id"], "in experiment", run["info"]["experiment_id"])
`;

describe('MLflow code logging into Runlog', function () {
  this.timeout(120_000);
  let storeDir: string;
  let folder: string;

  const run = storedRun;

  before(async () => {
    const root = workspaceFolder().uri.fsPath;
    if (!existsSync(join(root, '.git'))) {
      const git = (...args: string[]): void => {
        execFileSync('git', args, { cwd: root, stdio: 'ignore' });
      };
      git('init', '-q');
      git('config', 'user.email', 'suite@example.invalid');
      git('config', 'user.name', 'Suite');
      await writeFile(join(root, '.git', 'info', 'exclude'), '.vscode/\n');
      git('add', '.');
      git('commit', '-q', '-m', 'fixture');
    }
    folder = join(root, 'mlflow-client');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'train_mlflow.py'), SCRIPT);
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-mlflow-'));
    await useStoreDir(storeDir);
  });

  after(async () => {
    await dropStoreDir(storeDir);
    await rm(folder, { recursive: true, force: true });
  });

  it('a launched script logs params, metrics and FINISHED through the MLflow REST API, shown with its git state', async () => {
    const { launcher, runs } = await api();
    const script = vscode.Uri.file(join(folder, 'train_mlflow.py'));
    const [id] = await launcher.launchWith(script, { values: {}, extra: [] }, false);
    assert.ok(id);
    const details = await waitFor('the MLflow run to end with its metrics', async () => {
      const d = await run(id);
      // The script reports FINISHED itself; the exit code comes after, when the editor sees the process end.
      return d && d.exitCode !== null && d.metrics.length === 2 ? d : undefined;
    });
    assert.equal(details.status, 'FINISHED', details.error ?? '');
    assert.equal(details.exitCode, 0);
    assert.deepEqual(details.params, { alpha: '0.5', l1_ratio: '0.1' });
    const mse = details.metrics.find((m) => m.key === 'mse');
    assert.equal(mse?.count, 5);
    assert.equal(mse?.last, 0.2);
    assert.equal(details.metrics.find((m) => m.key === 'r2')?.last, 0.875);
    assert.equal(details.tags['mlflow.source.type'], 'LOCAL');
    assert.match(details.git?.commit ?? '', /^[0-9a-f]{40}$/);
    assert.deepEqual(details.rejected, []);

    runs.refresh();
    const node = await waitFor('the run in the Runs view', async () => {
      for (const experiment of await runs.getChildren()) {
        const found = (await runs.getChildren(experiment)).find(
          (n): n is Extract<RunsTreeNode, { kind: 'run' }> => n.kind === 'run' && n.run.id === id,
        );
        if (found) return found;
      }
      return undefined;
    });
    const item = runs.getTreeItem(node);
    assert.ok(labelOf(item).length > 0);
    assert.equal(node.run.status, 'FINISHED');
    assert.equal(node.run.git?.commit, details.git?.commit);
    const sections = (await runs.getChildren(node)).map((n) => labelOf(runs.getTreeItem(n)));
    for (const section of ['Params', 'Metrics', 'Git']) assert.ok(sections.includes(section), sections.join(', '));
    await vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: [id] });
    await screenshot('mlflow-run');
  });
});
