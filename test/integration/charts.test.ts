import * as assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RenderReport } from '../../shared/chartsProtocol';
import {
  api,
  clickInWebview,
  closeChartsAndDropStore,
  screenshot,
  useStoreWithRuns,
  waitFor,
  writeJournal,
} from './helpers';

const T0 = 1_700_000_000_000;
const HOSTILE = '<img src=x onerror=alert(1)>';

function metricLines(key: string, from: number, to: number, value: (step: number) => number): object[] {
  return Array.from({ length: to - from }, (_, i) => ({
    t: 'metric',
    ts: T0 + from + i,
    key,
    value: value(from + i),
    step: from + i,
  }));
}

describe('Charts panel', () => {
  let storeDir: string;
  const journal = (id: string, lines: object[], flag: 'w' | 'a' = 'w'): Promise<void> =>
    writeJournal(storeDir, id, lines, flag);

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-charts-'));
    await journal('fin-1', [
      { t: 'run_start', ts: T0, run_id: 'fin-1', name: 'calm-fox', experiment: 'charts' },
      { t: 'param', ts: T0, key: 'lr', value: '0.1' },
      ...metricLines('loss', 0, 3000, (s) => 1 / (1 + s / 100)),
      ...metricLines('acc', 0, 300, (s) => s / 300),
      { t: 'run_end', ts: T0 + 5000, status: 'FINISHED' },
    ]);
    await journal('fin-2', [
      { t: 'run_start', ts: T0 + 10, run_id: 'fin-2', name: HOSTILE, experiment: 'charts' },
      { t: 'param', ts: T0, key: 'lr', value: '0.01' },
      ...metricLines('loss', 0, 2000, (s) => 2 / (1 + s / 100)),
      { t: 'run_end', ts: T0 + 5000, status: 'FINISHED' },
    ]);
    await journal('live-1', [
      { t: 'run_start', ts: T0 + 20, run_id: 'live-1', name: 'busy-bee', experiment: 'charts' },
      ...metricLines('loss', 0, 100, (s) => 1 / (1 + s)),
    ]);
    await useStoreWithRuns(storeDir, 3);
  });

  after(() => closeChartsAndDropStore(storeDir));

  const report = async (what: string, ok: (r: RenderReport) => boolean): Promise<RenderReport> => {
    const { charts } = await api();
    return waitFor(what, () => {
      const r = charts()?.lastReport;
      return Promise.resolve(r && ok(r) ? r : undefined);
    });
  };

  it('draws one chart per metric over every chosen run, run names as text', async () => {
    await vscode.commands.executeCommand('runlog.openCharts', { runIds: ['fin-1', 'fin-2'] });
    const drawn = await report('the charts to be drawn', (r) => r.charts === 2 && r.points === 5300);
    assert.deepEqual(drawn.legend, ['calm-fox', HOSTILE], 'the legend shows names as given, in order');
    assert.equal(drawn.foreignElements, 0, 'a run name with HTML creates no element');
    // A line per run that logged the key: loss in both runs, acc in calm-fox only.
    assert.equal(drawn.series, 3);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('runlog.charts'));
    await screenshot('charts');
    // Clicking a line or a legend entry asks for this; the run is then selected in the Runs view.
    assert.equal(await vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: ['fin-1'] }), true);
    assert.equal(await vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: ['nope'] }), false);
  });

  it("opens the Media panel on the charted runs when the toolbar's Images button is clicked", async function () {
    const { charts, media } = await api();
    await vscode.commands.executeCommand('runlog.openCharts', { runIds: ['fin-1', 'fin-2'] });
    await report('the charts of both runs', (r) => r.charts === 2 && r.legend.length === 2);
    assert.deepEqual(charts()?.runIds, ['fin-1', 'fin-2']);
    media()?.dispose();
    // A click in the webview, as a user makes it: the page posts openMedia, the host opens the panel.
    const clicked = await clickInWebview('charts-images', 'button[title^="The images these runs logged"]');
    if (clicked === undefined) this.skip();
    assert.equal(clicked, true, "the Images button was found in the Charts panel's page");
    const opened = await waitFor('the Media panel', () => Promise.resolve(media()));
    try {
      assert.deepEqual(opened.runIds, ['fin-1', 'fin-2'], 'the same runs, in the same order');
      const shown = await waitFor('the Media panel’s page', () => {
        const r = opened.lastReport;
        return Promise.resolve(r && r.legend.length === 2 ? r : undefined);
      });
      assert.deepEqual(shown.legend, ['calm-fox', HOSTILE]);
      // These runs logged metrics only: the panel says so.
      assert.match(shown.note ?? '', /^These runs logged no images over steps yet/);
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      assert.ok(tab?.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('runlog.media'));
      await screenshot('charts-images-media');
    } finally {
      opened.dispose();
    }
  });

  it('smooths on the store side and keeps the raw line, on every x axis', async () => {
    const panel = (await api()).charts();
    assert.ok(panel);
    try {
      panel.updateLayout({ smoothing: 0.9 });
      // Each smoothed line keeps the raw line, faint, under it.
      await report('the smoothed charts', (r) => r.series === 2 * 3 && r.points === 5300);
      panel.updateLayout({ smoothing: 0, x: 'relative', yLog: true, hidden: ['acc'] });
      const relative = await report('one chart on relative time', (r) => r.charts === 1 && r.series === 2);
      assert.equal(relative.points, 5000);
      await screenshot('charts-relative-log');
    } finally {
      panel.updateLayout({ smoothing: 0, x: 'step', yLog: false, hidden: [] });
    }
    await report('the charts back as they were', (r) => r.charts === 2 && r.series === 3);
  });

  it('exports a chart as PNG and its points as CSV', async () => {
    const panel = (await api()).charts();
    assert.ok(panel);
    const png = vscode.Uri.file(join(storeDir, 'loss.png'));
    assert.equal(await panel.exportPng('loss', png), true);
    const bytes = await readFile(png.fsPath);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
    const csv = vscode.Uri.file(join(storeDir, 'loss.csv'));
    await panel.exportCsv('loss', csv);
    const lines = (await readFile(csv.fsPath, 'utf8')).trim().split('\r\n');
    assert.equal(lines[0], 'run_id,run_name,key,step,timestamp_ms,value');
    assert.equal(lines.length, 1 + 3000 + 2000, 'every point, not the drawn buckets');
    assert.equal(lines[1], `fin-1,calm-fox,loss,0,${T0},1`);
  });

  it('comes back after a reload from its saved state, and redraws when the color theme changes', async () => {
    const { reviveCharts } = await api();
    (await api()).charts()?.dispose();
    // What VS Code hands the serializer after a reload: a fresh panel and the webview's state.
    const revived = await reviveCharts({
      runIds: ['fin-1'],
      layout: { x: 'step', yLog: false, smoothing: 0, order: [], pinned: ['loss'], hidden: ['acc'] },
    });
    const drawn = await report('the restored chart', (r) => r.charts === 1 && r.points === 3000).catch(
      (error: unknown) => {
        revived.dispose();
        throw error;
      },
    );
    assert.deepEqual(drawn.legend, ['calm-fox']);
    const config = vscode.workspace.getConfiguration('workbench');
    const theme = config.get<string>('colorTheme');
    try {
      const before = revived.lastReport;
      await config.update('colorTheme', 'Default High Contrast', vscode.ConfigurationTarget.Global);
      await report('a redraw in the new theme', (r) => r !== before && r.charts === 1 && r.points === 3000);
      await screenshot('charts-high-contrast');
    } finally {
      await config.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
    }
    revived.dispose();
  });

  it('appends the points of a running run while it runs', async () => {
    await vscode.commands.executeCommand('runlog.openCharts', { runIds: ['live-1'] });
    await report('the live chart', (r) => r.charts === 1 && r.points === 100);
    const appended = Date.now();
    await journal(
      'live-1',
      metricLines('loss', 100, 150, (s) => 1 / (1 + s)),
      'a',
    );
    const grown = await report('the appended points', (r) => r.points === 150);
    const ms = Date.now() - appended;
    console.log(`    (appended points drawn after ${ms} ms)`);
    assert.equal(grown.charts, 1);
    assert.ok(ms < 5_000, `drawn after ${ms} ms`);
  });
});
