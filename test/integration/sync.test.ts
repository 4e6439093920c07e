import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { PullSummary } from '../../src/sync/pull';
import type { PushSummary } from '../../src/sync/push';
import type { RunsTreeNode } from '../../src/views/runsTreeProvider';
import { EXTENSION_ID, api, dropStoreDir, labelOf, screenshot, useStoreDir, waitFor, writeJournal } from './helpers';

const MINE = 'a1000000000000000000000000000001';
const LIVE = 'a2000000000000000000000000000002';
const THEIRS = 'b1000000000000000000000000000001';
const T0 = Date.UTC(2026, 0, 5, 9, 30);

function journal(id: string, name: string, lr: string, end: boolean): object[] {
  const events: object[] = [
    { t: 'run_start', ts: T0, run_id: id, name, experiment: 'house-prices', source: 'train.py' },
    { t: 'param', ts: T0, key: 'lr', value: lr },
  ];
  for (let step = 0; step < 50; step++) {
    events.push({ t: 'metric', ts: T0 + step, key: 'loss', value: 1 / (step + 1 + Number(lr) * 100), step });
  }
  if (end) events.push({ t: 'run_end', ts: T0 + 60_000, status: 'FINISHED', exit_code: 0 });
  return events;
}

/** Tree nodes under `parent` with their labels. */
async function childrenOf(parent: RunsTreeNode | undefined): Promise<{ node: RunsTreeNode; label: string }[]> {
  const { runs } = await api();
  return (await runs.getChildren(parent)).map((node) => ({ node, label: labelOf(runs.getTreeItem(node)) }));
}

async function child(parent: RunsTreeNode | undefined, label: string): Promise<RunsTreeNode | undefined> {
  return (await childrenOf(parent)).find((c) => c.label === label)?.node;
}

describe('Sync with a team MLflow server (runlog serve)', function () {
  this.timeout(120_000);
  let root: string;
  let storeDir: string;
  let serve: ChildProcess;
  let uri: string;
  let token: string;
  const cli = (): string => join(vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath ?? '', 'dist', 'cli.js');
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('runlog');

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'runlog-sync-it-'));
    serve = spawn(process.execPath, [cli(), 'serve', '--dir', join(root, 'team', '.runlog')], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: serve.stdout as NodeJS.ReadableStream }).once('line', resolve);
      serve.once('exit', (code) => reject(new Error(`runlog serve exited with ${String(code)}`)));
    });
    const match = /^MLFLOW_TRACKING_URI=(\S+) MLFLOW_TRACKING_TOKEN=(\S+)$/.exec(line);
    assert.ok(match, line);
    [, uri = '', token = ''] = match;
    // A server without credentials in SecretStorage is reached with MLflow's own, as the CLI is.
    process.env['MLFLOW_TRACKING_TOKEN'] = token;
    // A teammate pushed a run from their own store, with the command line.
    const theirs = join(root, 'theirs', '.runlog');
    await writeJournal(theirs, THEIRS, journal(THEIRS, 'calm-fox', '0.3', true));
    await promisify(execFile)(process.execPath, [cli(), 'push', '--to', uri, '--dir', theirs], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    storeDir = join(root, 'mine', '.runlog');
    await writeJournal(storeDir, MINE, journal(MINE, 'bright-owl', '0.1', true));
    await useStoreDir(storeDir);
    await config().update('servers', [{ name: 'team', uri }], vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    delete process.env['MLFLOW_TRACKING_TOKEN'];
    await config().update('autoPush', undefined, vscode.ConfigurationTarget.Global);
    await config().update('servers', undefined, vscode.ConfigurationTarget.Global);
    await dropStoreDir(storeDir);
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
    await rm(root, { recursive: true, force: true });
  });

  it('pushes a run with Push to Server, and pushing it again writes nothing', async () => {
    await waitFor('bright-owl in the store', async () => {
      const [folder] = (await api()).storeFolders();
      return folder?.store.call('getRun', MINE);
    });
    const first = await vscode.commands.executeCommand<PushSummary>('runlog.pushToServer', { runIds: [MINE] });
    assert.deepEqual(first.failed, []);
    assert.equal(first.pushed.length, 1);
    assert.equal(first.points, 50);
    const again = await vscode.commands.executeCommand<PushSummary>('runlog.pushToServer', { runIds: [MINE] });
    assert.equal(again.writes, 0);
    assert.deepEqual(
      again.unchanged.map((r) => r.name),
      ['bright-owl'],
    );
    // The Runs view says where the run went.
    const { runs } = await api();
    const host = new URL(uri).host;
    const mine = await waitFor('bright-owl marked as pushed', async () => {
      const node = await runs.findRun(MINE);
      const item = node && runs.getTreeItem(node);
      return item && String(item.description).startsWith(`↑ ${host} · `) ? item : undefined;
    });
    assert.match(
      (mine.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' '),
      new RegExp(`pushed to ${uri.replace(/[.]/g, '\\.')}`),
    );
  });

  it("lists the server's experiments and runs in the Runs view, searched there with the view's filter", async () => {
    const server = await waitFor('the team root', () => child(undefined, 'team'));
    const experiment = await child(server, 'house-prices');
    assert.ok(experiment, 'the experiment both runs went to');
    const names = (await childrenOf(experiment)).map((c) => c.label).sort();
    assert.deepEqual(names, ['bright-owl', 'calm-fox']);
    const { runs, runsView } = await api();
    await vscode.commands.executeCommand('workbench.view.extension.runlog');
    await runsView.reveal(server, { expand: 2, select: false });
    const fox = (await childrenOf(experiment)).find((c) => c.label === 'calm-fox')?.node;
    assert.ok(fox);
    const item = runs.getTreeItem(fox);
    assert.equal(item.contextValue, 'runlog.remoteRun');
    assert.equal(item.command?.command, 'runlog.openRemoteRun');
    await screenshot('sync-runs-view');

    runs.setQuery({ ...runs.currentQuery, filter: "params.lr = '0.3'" });
    try {
      const filtered = await childrenOf(await child(await child(undefined, 'team'), 'house-prices'));
      assert.deepEqual(
        filtered.map((c) => c.label),
        ['calm-fox'],
      );
    } finally {
      runs.setQuery({ ...runs.currentQuery, filter: undefined });
    }
  });

  it("opens a teammate's run in Charts: pulled read-only with its metrics, marked with the server", async () => {
    const experiment = await child(await child(undefined, 'team'), 'house-prices');
    const fox = (await childrenOf(experiment)).find((c) => c.label === 'calm-fox')?.node;
    assert.ok(fox?.kind === 'remoteRun');
    // My run in Charts first: the teammate's run joins it on the same chart.
    await vscode.commands.executeCommand('runlog.openCharts', { runIds: [MINE] });
    await waitFor('bright-owl charted', async () => (await api()).charts()?.lastReport?.legend.join() === 'bright-owl');
    const local = await vscode.commands.executeCommand<string>('runlog.openRemoteRun', {
      server: 'team',
      runId: fox.run.info.run_id,
    });
    assert.ok(local);
    const drawn = await waitFor('calm-fox charted beside bright-owl', async () => {
      const r = (await api()).charts()?.lastReport;
      return r && [...r.legend].sort().join() === 'bright-owl,calm-fox' && r.points === 100 ? r : undefined;
    });
    assert.equal(drawn.charts, 1);
    assert.deepEqual((await api()).charts()?.runIds, [MINE, local]);
    const [folder] = (await api()).storeFolders();
    const pulled = await folder?.store.call('getRun', local);
    assert.equal(pulled?.name, 'calm-fox');
    assert.equal(pulled?.tags['runlog.remote'], uri);
    assert.equal(pulled?.params['lr'], '0.3');
    await screenshot('sync-remote-charts');
    // In the Runs view, the pulled copy says where it came from.
    const { runs } = await api();
    const copy = await runs.findRun(local);
    assert.ok(copy);
    assert.ok(String(runs.getTreeItem(copy).description).startsWith(`↓ ${new URL(uri).host} · `));

    // Beside mine in Compare: the table says where the teammate's run came from.
    await vscode.commands.executeCommand('runlog.compareRuns', { runIds: [MINE, local] });
    const { compare } = await api();
    const report = await waitFor('the comparison drawn', () => {
      const r = compare.lastRendered;
      return r && r.runIds.join() === [MINE, local].join() ? r : undefined;
    });
    assert.ok(report.differing.includes('run.server'), report.differing.join(', '));
    await new Promise((r) => setTimeout(r, 500));
    await screenshot('sync-compare');

    // Pull Runs… on the experiment: my own pushed run is not pulled back, the teammate's is unchanged.
    const summary = await vscode.commands.executeCommand<PullSummary>('runlog.pullRuns', experiment);
    assert.deepEqual(summary.failed, []);
    assert.deepEqual(
      summary.unchanged.map((r) => r.name),
      ['calm-fox'],
    );
    assert.equal(summary.skipped.length, 1);
  });

  it('says "no runs" under a server experiment that has none', async () => {
    const created = await fetch(`${uri}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'empty-bench' }),
    });
    assert.equal(created.status, 200);
    const { runs } = await api();
    runs.refreshServers();
    const empty = await waitFor('the empty experiment', () =>
      child(undefined, 'team').then((t) => child(t, 'empty-bench')),
    );
    const rows = await childrenOf(empty);
    assert.deepEqual(
      rows.map((r) => r.label),
      ['no runs'],
    );
    assert.equal(runs.getTreeItem(rows[0]?.node ?? empty).collapsibleState, vscode.TreeItemCollapsibleState.None);
  });

  it('runlog.autoPush pushes a run when it ends, in the background', async () => {
    await config().update('autoPush', ['team'], vscode.ConfigurationTarget.Global);
    const { autoPush } = await api();
    await writeJournal(storeDir, LIVE, journal(LIVE, 'late-elk', '0.2', false));
    const [folder] = (await api()).storeFolders();
    await waitFor('late-elk running', async () =>
      (await folder?.store.call('getRun', LIVE))?.status === 'RUNNING' ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    await writeJournal(storeDir, LIVE, [{ t: 'run_end', ts: T0 + 70_000, status: 'FINISHED' }], 'a');
    const names = await waitFor('late-elk on the server', async () => {
      const experiment = await child(await child(undefined, 'team'), 'house-prices');
      const labels = (await childrenOf(experiment)).map((c) => c.label).sort();
      return labels.includes('late-elk') ? labels : undefined;
    });
    assert.deepEqual(names, ['bright-owl', 'calm-fox', 'late-elk']);
    await autoPush.idle();
    assert.deepEqual(autoPush.state, { pending: 0, failed: [] });
    assert.equal((await api()).syncStatus.text, undefined, 'the status bar item hides once nothing is pending');
  });

  it('shows a push that failed in the status bar, and the reason in its tooltip', async () => {
    const GONE = 'a3000000000000000000000000000003';
    process.env['MLFLOW_HTTP_REQUEST_MAX_RETRIES'] = '0';
    try {
      await config().update(
        'servers',
        [
          { name: 'team', uri },
          { name: 'gone', uri: 'http://127.0.0.1:9' },
        ],
        vscode.ConfigurationTarget.Global,
      );
      await config().update('autoPush', ['gone'], vscode.ConfigurationTarget.Global);
      const { autoPush, syncStatus, storeFolders } = await api();
      await writeJournal(storeDir, GONE, journal(GONE, 'lost-owl', '0.4', false));
      const [folder] = storeFolders();
      await waitFor('lost-owl running', async () =>
        (await folder?.store.call('getRun', GONE))?.status === 'RUNNING' ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 500));
      await writeJournal(storeDir, GONE, [{ t: 'run_end', ts: T0 + 70_000, status: 'FINISHED' }], 'a');
      const failed = await waitFor('the failure reported', () =>
        autoPush.state.failed.length > 0 && autoPush.state.pending === 0 ? autoPush.state.failed : undefined,
      );
      assert.deepEqual(
        failed.map((f) => [f.run, f.server]),
        [['lost-owl', 'gone']],
      );
      assert.equal(syncStatus.text, '$(cloud-upload) 1 failed');
      await screenshot('sync-status-failed');
    } finally {
      delete process.env['MLFLOW_HTTP_REQUEST_MAX_RETRIES'];
    }
  });

  it('Remove MLflow Server drops its entry, its autoPush name and its root in the Runs view', async () => {
    const gone = await vscode.commands.executeCommand<{ name: string } | undefined>('runlog.removeServer', 'gone', {
      confirm: false,
    });
    assert.equal(gone?.name, 'gone');
    assert.deepEqual(config().get('servers'), [{ name: 'team', uri }]);
    assert.deepEqual(config().get('autoPush'), []);
    const team = await child(undefined, 'team');
    assert.ok(team);
    await vscode.commands.executeCommand('runlog.removeServer', team, { confirm: false });
    assert.deepEqual(config().get('servers'), []);
    await waitFor('the team root gone', async () => ((await child(undefined, 'team')) ? undefined : true));
  });
});
