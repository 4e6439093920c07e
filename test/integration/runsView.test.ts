import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { readGitState } from '../../src/git/gitState';
import { previousRun } from '../../src/views/runNotifications';
import type { RunsTreeNode } from '../../src/views/runsTreeProvider';
import { api, dropStoreDir, labelOf, screenshot, useStoreDir, waitFor, workspaceFolder } from './helpers';

type RunNode = Extract<RunsTreeNode, { kind: 'run' }>;

describe('Runs view actions', function () {
  this.timeout(90_000);
  let storeDir: string;
  let repo: string;

  const journal = async (id: string, lines: object[]): Promise<void> => {
    await mkdir(join(storeDir, 'runs', id, 'artifacts'), { recursive: true });
    await writeFile(join(storeDir, 'runs', id, 'events.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  };
  const start = (id: string, ts: number, name: string, extra: object = {}): object => ({
    t: 'run_start',
    ts,
    run_id: id,
    name,
    experiment: 'vision',
    ...extra,
  });

  async function roots(): Promise<RunsTreeNode[]> {
    return (await api()).runs.getChildren();
  }

  /** The runs under the top-level node labelled `label`, as the view lists them. */
  async function runsUnder(label: string): Promise<RunNode[]> {
    const { runs } = await api();
    const parent = (await roots()).find((n) => labelOf(runs.getTreeItem(n)) === label);
    if (!parent) return [];
    return (await runs.getChildren(parent)).filter((n): n is RunNode => n.kind === 'run');
  }

  async function runNode(id: string, under = 'vision'): Promise<RunNode> {
    return waitFor(`run ${id} under ${under}`, async () => (await runsUnder(under)).find((n) => n.run.id === id));
  }

  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'runlog-view-repo-'));
    const git = (...args: string[]): void => {
      execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
    };
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'suite@example.invalid');
    git('config', 'user.name', 'Suite');
    await writeFile(join(repo, 'train.py'), 'lr = 0.1\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    await writeFile(join(repo, 'train.py'), 'lr = 0.5\n');
    await writeFile(join(repo, 'helper.py'), 'def helps(): pass\n');
    const state = await readGitState(repo);
    assert.ok(state?.dirty);

    storeDir = await mkdtemp(join(tmpdir(), 'runlog-view-'));
    await journal('run-old', [
      start('run-old', 1_700_000_000_000, 'old-heron', { cwd: repo }),
      { t: 'git', ts: 1_700_000_000_001, ...state },
      { t: 'artifact', ts: 1_700_000_000_002, path: 'notes.txt', size: 6, sha256: 'ab' },
      { t: 'metric', ts: 1_700_000_000_003, key: 'loss', value: 0.5, step: 0 },
      { t: 'run_end', ts: 1_700_000_000_004, status: 'FINISHED' },
    ]);
    await writeFile(join(storeDir, 'runs', 'run-old', 'artifacts', 'notes.txt'), 'hello\n');
    await journal('run-new', [
      start('run-new', 1_700_000_100_000, 'new-lynx', { cwd: repo }),
      {
        t: 'git',
        ts: 1_700_000_100_001,
        commit: '0123456789abcdef0123456789abcdef01234567',
        dirty: false,
        patch: '',
        untracked: [],
      },
      { t: 'run_end', ts: 1_700_000_100_002, status: 'FAILED', error: 'ValueError: bad lr' },
    ]);
    await journal('run-live', [start('run-live', 1_700_000_200_000, 'live-panda', { experiment: 'other' })]);
    await useStoreDir(storeDir);
    await waitFor('the store to be read', async () => ((await runsUnder('vision')).length === 2 ? true : undefined));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await dropStoreDir(storeDir);
    await rm(repo, { recursive: true, force: true });
  });

  it('renames a run through its journal', async () => {
    const node = await runNode('run-old');
    await vscode.commands.executeCommand('runlog.renameRun', node, [node], '<i>renamed</i>-heron');
    const renamed = await waitFor('the new name', async () => {
      const n = await runNode('run-old');
      return n.run.name === '<i>renamed</i>-heron' ? n : undefined;
    });
    const { runs } = await api();
    assert.equal(labelOf(runs.getTreeItem(renamed)), '<i>renamed</i>-heron', 'shown as text');
    assert.ok(!(runs.getTreeItem(renamed).tooltip as vscode.MarkdownString).value.includes('<i>'));
  });

  it('tags several runs at once and shows the tags under each run', async () => {
    const nodes = await runsUnder('vision');
    await vscode.commands.executeCommand('runlog.tagRuns', nodes[0], nodes, 'team=vision, best');
    const runlog = await api();
    const { runs } = runlog;
    const [folder] = runlog.storeFolders();
    assert.ok(folder);
    for (const node of nodes) {
      const details = await waitFor('the tags', async () => {
        const run = await folder.store.call('getRun', node.run.id);
        return run?.tags['team'] === 'vision' ? run : undefined;
      });
      assert.equal(details.tags['best'], '');
    }
    await vscode.commands.executeCommand('runlog.tagRuns', nodes[0], [nodes[0]], 'team=vision');
    const run = await waitFor('a removed tag', async () => {
      const r = await folder.store.call('getRun', nodes[0]?.run.id ?? '');
      return r && !('best' in r.tags) ? r : undefined;
    });
    assert.equal(run.tags['team'], 'vision');
    const node = await runNode(nodes[0]?.run.id ?? '');
    const sections = await runs.getChildren(node);
    const tags = sections.find((s) => labelOf(runs.getTreeItem(s)) === 'Tags');
    assert.ok(tags, 'a Tags section');
    const values = (await runs.getChildren(tags)).map(
      (n) => `${labelOf(runs.getTreeItem(n))}=${String(runs.getTreeItem(n).description)}`,
    );
    assert.deepEqual(values, ['team=vision']);
  });

  it('pins a run to the top of its experiment, and unpins it', async () => {
    assert.deepEqual(
      (await runsUnder('vision')).map((n) => n.run.id),
      ['run-new', 'run-old'],
    );
    const old = await runNode('run-old');
    await vscode.commands.executeCommand('runlog.pinRun', old, [old]);
    const pinned = await waitFor('the pinned run first', async () => {
      const nodes = await runsUnder('vision');
      return nodes[0]?.run.id === 'run-old' ? nodes[0] : undefined;
    });
    const { runs } = await api();
    const item = runs.getTreeItem(pinned);
    assert.equal(item.contextValue, 'runlog.run.finished.pinned');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pinned');
    await vscode.commands.executeCommand('runlog.unpinRun', pinned, [pinned]);
    await waitFor('the old order', async () =>
      (await runsUnder('vision'))[0]?.run.id === 'run-new' ? true : undefined,
    );
  });

  it('deletes a run to the Trash and restores it', async () => {
    const node = await runNode('run-new');
    await vscode.commands.executeCommand('runlog.deleteRun', node, [node]);
    const trashed = await waitFor('the run in the Trash', async () => (await runsUnder('Trash'))[0]);
    assert.equal(trashed.run.id, 'run-new');
    const { runs } = await api();
    assert.equal(runs.getTreeItem(trashed).contextValue, 'runlog.run.failed.deleted');
    assert.deepEqual(
      (await runsUnder('vision')).map((n) => n.run.id),
      ['run-old'],
    );
    await vscode.commands.executeCommand('runlog.restoreRun', trashed, [trashed]);
    await waitFor('the run back', async () => ((await runsUnder('vision')).length === 2 ? true : undefined));
    assert.ok(!(await roots()).some((n) => n.kind === 'trash'), 'an empty Trash is not shown');
  });

  it('groups runs by status, and back by experiment', async () => {
    const { runs } = await api();
    try {
      await vscode.commands.executeCommand('runlog.groupRuns', 'status');
      const labels = (await roots()).map((n) => labelOf(runs.getTreeItem(n)));
      assert.deepEqual(labels, ['FAILED', 'FINISHED', 'RUNNING']);
      assert.deepEqual(
        (await runsUnder('RUNNING')).map((n) => n.run.id),
        ['run-live'],
      );
      await vscode.commands.executeCommand('runlog.groupRuns', 'branch');
      assert.deepEqual(
        (await roots()).map((n) => labelOf(runs.getTreeItem(n))),
        ['main', '(no branch)'],
      );
    } finally {
      await vscode.commands.executeCommand('runlog.groupRuns', 'experiment');
    }
    assert.deepEqual(
      (await roots()).map((n) => labelOf(runs.getTreeItem(n))),
      ['other', 'vision'],
    );
  });

  it("opens a changed file of the run's Git section in a diff editor", async () => {
    const { runs } = await api();
    const node = await runNode('run-old');
    const git = (await runs.getChildren(node)).find((s) => labelOf(runs.getTreeItem(s)) === 'Git');
    assert.ok(git);
    const file = (await runs.getChildren(git)).map((n) => runs.getTreeItem(n)).find((i) => labelOf(i) === 'train.py');
    assert.equal(file?.command?.command, 'runlog.openRunDiff');
    await vscode.commands.executeCommand(file.command.command, ...((file.command.arguments ?? []) as unknown[]));
    const tab = await waitFor('a diff tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === 'runlog-diff'),
    );
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal((await vscode.workspace.openTextDocument(input.original)).getText(), 'lr = 0.1\n');
    assert.equal((await vscode.workspace.openTextDocument(input.modified)).getText(), 'lr = 0.5\n');
    const untracked = (await runs.getChildren(git))
      .map((n) => runs.getTreeItem(n))
      .find((i) => labelOf(i) === 'helper.py');
    assert.equal(untracked?.description, 'untracked');
    await vscode.commands.executeCommand('runlog.openRunDiff', ...((untracked?.command?.arguments ?? []) as unknown[]));
    const editor = await waitFor('the untracked file', () =>
      vscode.window.activeTextEditor?.document.uri.path === '/helper.py' ? vscode.window.activeTextEditor : undefined,
    );
    assert.equal(editor.document.getText(), 'def helps(): pass\n');
  });

  it('says plainly when the commit of a run is not in the repository', async () => {
    const uri = vscode.Uri.from({
      scheme: 'runlog-diff',
      path: '/train.py',
      query: JSON.stringify({ dir: storeDir, runId: 'run-new', side: 'commit' }),
    });
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    assert.match(text, /Commit 0123456789ab that new-lynx ran is not in the repository/);
  });

  it('opens an artifact from the Artifacts section', async () => {
    const { runs } = await api();
    const node = await runNode('run-old');
    const artifacts = (await runs.getChildren(node)).find((s) => labelOf(runs.getTreeItem(s)) === 'Artifacts');
    assert.ok(artifacts);
    const [item] = (await runs.getChildren(artifacts)).map((n) => runs.getTreeItem(n));
    // Previewed by type (a .txt in an editor) through Runlog's command, which checks the path first.
    assert.equal(item?.command?.command, 'runlog.openArtifact');
    await vscode.commands.executeCommand(item.command.command, ...((item.command.arguments ?? []) as unknown[]));
    const editor = await waitFor('the artifact', () =>
      vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('notes.txt')
        ? vscode.window.activeTextEditor
        : undefined,
    );
    assert.equal(editor.document.getText(), 'hello\n');
  });

  it('finds the previous run of the same script and experiment, for Compare with Previous', async () => {
    const newer = await runNode('run-new');
    const previous = await previousRun(newer.store, newer.run);
    assert.equal(previous?.id, 'run-old');
    const older = await runNode('run-old');
    assert.equal(await previousRun(older.store, older.run), undefined);
  });

  it('shows running runs in the status bar while they run, with their key metric', async () => {
    const { runStatus } = await api();
    // A change notice is what updates the item: the live run logs a point.
    await appendFile(
      join(storeDir, 'runs', 'run-live', 'events.jsonl'),
      `${JSON.stringify({ t: 'metric', ts: 1_700_000_200_001, key: 'loss', value: 1, step: 0 })}\n`,
    );
    // The item may show the run before it has read the point; then the point follows.
    assert.equal(
      await waitFor('the status bar item with the point', () =>
        runStatus.text?.includes('loss') ? runStatus.text : undefined,
      ),
      '$(sync~spin) live-panda · loss 1',
    );
    await appendFile(
      join(storeDir, 'runs', 'run-live', 'events.jsonl'),
      `${JSON.stringify({ t: 'run_end', ts: 1_700_000_200_002, status: 'FINISHED' })}\n`,
    );
    await waitFor('the item to hide', () => (runStatus.text === undefined ? true : undefined));
  });

  it('deletes runs permanently, but not a running one', async () => {
    await journal('run-busy', [start('run-busy', 1_700_000_300_000, 'busy-otter')]);
    const nodes = await waitFor('three runs', async () => {
      const found = await runsUnder('vision');
      return found.length === 3 ? found : undefined;
    });
    const deleted = await vscode.commands.executeCommand<number>('runlog.deleteRunPermanently', nodes[0], nodes, {
      confirm: false,
    });
    assert.equal(deleted, 2);
    assert.equal(existsSync(join(storeDir, 'runs', 'run-old')), false);
    assert.ok(existsSync(join(storeDir, 'runs', 'run-busy')), 'a running run is left alone');
    await waitFor('the runs to be forgotten', async () =>
      (await runsUnder('vision')).length === 1 ? true : undefined,
    );
    const runlog = await api();
    assert.equal(await runlog.storeFolders()[0]?.store.call('getRun', 'run-old'), undefined);
  });

  it('reruns a run: its script again, with the params it recorded', async () => {
    const script = join(workspaceFolder().uri.fsPath, 'train_small.py');
    const params = { lr: '0.5', epochs: '1', optimizer: 'adam', sleep: '0' };
    await journal('run-script', [
      start('run-script', 1_700_000_400_000, 'script-owl', { source: script, entry_point: 'train_small.py' }),
      ...Object.entries(params).map(([key, value]) => ({ t: 'param', ts: 1_700_000_400_001, key, value })),
      { t: 'run_end', ts: 1_700_000_400_002, status: 'FINISHED' },
    ]);
    const node = await runNode('run-script');
    const ids = await vscode.commands.executeCommand<string[]>('runlog.rerunRun', node, [node]);
    assert.equal(ids.length, 1);
    const runlog = await api();
    const rerun = await waitFor('the rerun to end', async () => {
      const run = await runlog.storeFolders()[0]?.store.call('getRun', ids[0] ?? '');
      return run && run.status !== 'RUNNING' && run.status !== 'QUEUED' ? run : undefined;
    });
    assert.equal(rerun.status, 'FINISHED', rerun.error ?? '');
    assert.deepEqual(rerun.params, params);
    assert.equal(rerun.metrics.find((m) => m.key === 'loss')?.count, 1);
  });

  it('shows child runs under their parent, and a note in the tooltip as Markdown that runs nothing', async () => {
    const metric = (ts: number, value: number): object => ({ t: 'metric', ts, key: 'val_loss', value, step: 0 });
    await journal('grid-parent', [
      start('grid-parent', 1_700_000_500_000, 'grid-search', { experiment: 'grid' }),
      { t: 'run_end', ts: 1_700_000_500_100, status: 'FINISHED' },
    ]);
    for (const [n, id] of ['grid-a', 'grid-b'].entries()) {
      await journal(id, [
        start(id, 1_700_000_500_001 + n, `candidate-${n}`, { experiment: 'grid', parent_run_id: 'grid-parent' }),
        metric(1_700_000_500_010 + n, 0.5 - n / 10),
        { t: 'run_end', ts: 1_700_000_500_020 + n, status: 'FINISHED' },
      ]);
    }
    const runlog = await api();
    const { runs } = runlog;
    const parent = await waitFor('the grid search with its two children', async () => {
      const top = await runsUnder('grid');
      const node = top[0];
      return top.length === 1 && node?.nested?.children === 2 ? node : undefined;
    });
    assert.match(String(runs.getTreeItem(parent).description), /2 child runs/);
    const below = await runs.getChildren(parent);
    assert.deepEqual(
      below.filter((n): n is RunNode => n.kind === 'run').map((n) => n.run.id),
      ['grid-b', 'grid-a'],
      'the children, in the view’s order, before the parent’s own sections',
    );
    assert.equal(
      await vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: ['grid-a'] }),
      true,
      'a child run is found under its parent',
    );

    const note =
      '# Grid search\nlr **0.01** won <img src=x onerror=alert(1)>\n[delete](command:runlog.deleteRun) [docs](https://mlflow.org/docs)';
    await vscode.commands.executeCommand('runlog.editNote', { runIds: ['grid-parent'] }, undefined, note);
    const [folder] = runlog.storeFolders();
    assert.ok(folder);
    await waitFor('the note', async () =>
      (await folder.store.call('getRun', 'grid-parent'))?.tags['mlflow.note.content'] === note ? true : undefined,
    );
    const tooltip = await waitFor('the note in the tooltip', async () => {
      const node = (await runsUnder('grid'))[0];
      const md = node ? (runs.getTreeItem(node).tooltip as vscode.MarkdownString) : undefined;
      return md?.value.includes('Grid search') ? md : undefined;
    });
    assert.ok(!tooltip.isTrusted && !tooltip.supportHtml, 'untrusted, no HTML');
    assert.match(tooltip.value, /^# Grid search$/m, 'a heading');
    assert.ok(tooltip.value.includes('**0\\.01**'), 'emphasis kept, user text escaped');
    assert.ok(!tooltip.value.includes('<img'), 'raw HTML shown as text');
    assert.ok(!tooltip.value.includes('](command:'), 'no command link');
    assert.ok(tooltip.value.includes('](https://mlflow.org/docs)'), 'a web link stays a link');
    const sections = await runs.getChildren((await runsUnder('grid'))[0]);
    assert.ok(!sections.some((n) => n.kind === 'section' && n.section === 'tags'), 'the note is not listed as a tag');
    await vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: ['grid-a'] });
    await screenshot('runs-view-nested-note');

    await vscode.commands.executeCommand('runlog.editNote', { runIds: ['grid-parent'] }, undefined, '');
    await waitFor('the note removed', async () => {
      const run = await folder.store.call('getRun', 'grid-parent');
      return run && !('mlflow.note.content' in run.tags) ? true : undefined;
    });
  });
});
