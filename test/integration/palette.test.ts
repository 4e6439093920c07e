import * as assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { api, dropStoreDir, screenshot, useStoreDir, waitFor, writeJournal } from './helpers';

const T0 = 1_700_000_000_000;
/** Newest first, as the Runs view lists them. */
const RUNS = ['fifth-owl', 'fourth-fox', 'third-lynx', 'second-heron', 'first-panda'];

/** Runs a palette command (no arguments) that opens a pick, and accepts the pick as it opened. */
async function acceptingThePick(command: string): Promise<void> {
  let settled = false;
  const running = Promise.resolve(vscode.commands.executeCommand(command)).finally(() => {
    settled = true;
  });
  // The pick opens once the recent runs are read; Enter takes what it has chosen already.
  for (let i = 0; i < 100 && !settled; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  await running;
}

describe('Palette commands act on the Runs view selection', function () {
  this.timeout(60_000);
  let storeDir: string;

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-palette-'));
    await Promise.all(
      RUNS.map((id, i) =>
        writeJournal(storeDir, id, [
          { t: 'run_start', ts: T0 - i * 60_000, run_id: id, name: id, experiment: 'palette' },
          { t: 'param', ts: T0, key: 'lr', value: String(0.1 / (i + 1)) },
          ...[0, 1, 2].map((step) => ({ t: 'metric', ts: T0 + step, key: 'loss', value: 1 / (i + step + 1), step })),
          { t: 'run_end', ts: T0 + 1, status: 'FINISHED' },
        ]),
      ),
    );
    await useStoreDir(storeDir);
    const { storeFolders } = await api();
    await waitFor('the store to read the runs', async () => {
      const page = await storeFolders()[0]?.store.call('listRuns', {});
      return page?.total === RUNS.length ? true : undefined;
    });
    await vscode.commands.executeCommand('workbench.view.extension.runlog');
    await vscode.commands.executeCommand('runlog.runs.focus');
  });

  after(async () => {
    (await api()).charts()?.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await dropStoreDir(storeDir);
  });

  /** Selects `count` runs from the newest down, the way a user does: click, then Shift+Down. */
  async function selectNewest(count: number): Promise<string[]> {
    const { runsView } = await api();
    assert.equal(await vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: [RUNS[0]] }), true);
    for (let i = 1; i < count; i++) await vscode.commands.executeCommand('list.expandSelectionDown');
    return waitFor(`${count} runs selected in the Runs view`, () => {
      const ids = runsView.selection.flatMap((n) => (n.kind === 'run' ? [n.run.id] : []));
      return ids.length === count ? ids : undefined;
    });
  }

  it('Open Charts from the palette charts the runs selected in the Runs view', async () => {
    const selected = await selectNewest(3);
    assert.deepEqual(selected, RUNS.slice(0, 3));
    await vscode.commands.executeCommand('runlog.openCharts');
    const { charts } = await api();
    const panel = await waitFor('the Charts panel', () => charts());
    assert.deepEqual(panel.runIds, selected);
    await waitFor('the chart drawn', () => (panel.lastReport?.charts === 1 ? true : undefined));
    await screenshot('palette-open-charts');
  });

  it('Compare Runs from the palette compares the runs selected in the Runs view', async () => {
    const selected = await selectNewest(2);
    await vscode.commands.executeCommand('runlog.compareRuns');
    const { compare } = await api();
    const shown = await waitFor('the Compare panel on the selected runs', () =>
      compare.lastRendered?.runIds.length === 2 ? compare.lastRendered.runIds : undefined,
    );
    assert.deepEqual([...shown].sort(), [...selected].sort());
    assert.deepEqual(compare.current?.ids, selected);
  });

  it('with no run selected, the pick opens with the newest runs chosen', async () => {
    const { runs, runsView, compare, charts } = await api();
    const [experiment] = await runs.getChildren();
    assert.ok(experiment);
    await runsView.reveal(experiment, { select: true, focus: true });
    await waitFor('only the experiment selected', () =>
      runsView.selection.length === 1 && runsView.selection[0]?.kind === 'experiment' ? true : undefined,
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await acceptingThePick('runlog.compareRuns');
    await waitFor('the Compare panel on the two newest runs', () =>
      compare.current?.ids.join() === RUNS.slice(0, 2).join() ? true : undefined,
    );
    await acceptingThePick('runlog.openCharts');
    const panel = await waitFor('the Charts panel', () => charts());
    assert.deepEqual(panel.runIds, [RUNS[0]]);
  });
});
