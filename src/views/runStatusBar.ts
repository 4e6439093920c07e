import * as vscode from 'vscode';
import { formatMetricValue } from '../../shared/formatValue';
import { keyMetricOf } from '../runs/runPresentation';
import type { MetricSummary, RunRecord } from '../store/types';
import type { StoreClient } from '../store/storeClient';
import type { StoreFolder } from '../workspaceStores';

interface LiveRun {
  readonly store: StoreClient;
  readonly run: RunRecord;
  /** The run's key metric now (`runlog.keyMetric`, else its first). */
  readonly key: MetricSummary | undefined;
}

/** Enough to list in the quick pick; the count still says how many there are. */
const LISTED = 100;
/** Runs the tooltip names, with their key metric. */
const IN_TOOLTIP = 10;

/** `loss 0.213`, or nothing before the run has logged a metric. */
function keyText(key: MetricSummary | undefined): string {
  return key ? ` · ${key.key} ${formatMetricValue(key.last)}` : '';
}

/**
 * The status bar while runs are running or queued in any open store (hidden otherwise): one run by
 * name with its key metric as it trains (`$(sync~spin) bright-owl · loss 0.213`), several as
 * `$(sync~spin) 2 runs` with each one's metric in the tooltip; a click lists them with Open Charts
 * and Stop. It reads only stores that are already open: `update` runs on change notices and
 * launches, never at activation.
 */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('runlog.runningRuns', vscode.StatusBarAlignment.Left, 50);
  private live: LiveRun[] = [];
  private count = 0;
  private updating: Promise<void> | undefined;
  private again = false;

  constructor(private readonly folders: () => readonly StoreFolder[]) {
    this.item.name = 'Runlog: Running Runs';
    this.item.command = 'runlog.showRunningRuns';
  }

  /** What the item shows now; undefined while it is hidden. */
  get text(): string | undefined {
    return this.count > 0 ? this.item.text : undefined;
  }

  /** Re-reads the running and queued runs; concurrent calls coalesce into one more read. */
  update(): Promise<void> {
    if (this.updating) {
      this.again = true;
      return this.updating;
    }
    this.updating = (async () => {
      do {
        this.again = false;
        await this.read();
      } while (this.again);
    })().finally(() => {
      this.updating = undefined;
    });
    return this.updating;
  }

  private async read(): Promise<void> {
    const keyMetric = vscode.workspace.getConfiguration('runlog').get<string>('keyMetric', '');
    const pages = await Promise.all(
      this.folders().map(async ({ store }) => {
        const page = await store
          .call('listRuns', {
            statuses: ['RUNNING', 'QUEUED'],
            limit: LISTED,
            sort: { key: 'start_time', descending: true },
          })
          .catch(() => ({ runs: [], total: 0 }));
        const metrics = new Map(
          page.runs.length > 0
            ? await store
                .call(
                  'metricSummaries',
                  page.runs.slice(0, IN_TOOLTIP).map((run) => run.id),
                )
                .catch(() => [])
            : [],
        );
        return { store, page, metrics };
      }),
    );
    this.live = pages.flatMap(({ store, page, metrics }) =>
      page.runs.map((run) => ({ store, run, key: keyMetricOf(metrics.get(run.id) ?? [], keyMetric) })),
    );
    this.count = pages.reduce((n, { page }) => n + page.total, 0);
    if (this.count === 0) {
      this.item.hide();
      return;
    }
    const running = this.live.filter((l) => l.run.status === 'RUNNING').length;
    const [only] = this.live;
    this.item.text =
      this.count === 1 && only
        ? `$(sync~spin) ${only.run.name}${keyText(only.key)}`
        : `$(sync~spin) ${this.count} runs`;
    this.item.tooltip = [
      `Runlog: ${running} running, ${this.count - running} queued. Click to open charts or stop one.`,
      ...this.live.slice(0, IN_TOOLTIP).map((l) => `${l.run.name} (${l.run.status.toLowerCase()})${keyText(l.key)}`),
    ].join('\n');
    this.item.show();
  }

  /** The quick pick: accept opens the run's charts; the buttons open charts or stop it. */
  async pick(stop: (runId: string) => Promise<unknown>): Promise<void> {
    await this.update();
    if (this.live.length === 0) {
      void vscode.window.showInformationMessage('Runlog: no run is running or queued.');
      return;
    }
    const charts: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('graph-line'), tooltip: 'Open Charts' };
    const stopButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('debug-stop'), tooltip: 'Stop' };
    const quickPick = vscode.window.createQuickPick<vscode.QuickPickItem & { runId: string }>();
    quickPick.title = 'Runlog: Running Runs';
    quickPick.placeholder = 'Open a run’s charts, or stop it';
    quickPick.items = this.live.map(({ run }) => ({
      runId: run.id,
      label: `${run.status === 'RUNNING' ? '$(sync~spin)' : '$(clock)'} ${run.name}`,
      description: `${run.experiment} · ${run.status.toLowerCase()}`,
      buttons: [charts, stopButton],
    }));
    const openCharts = (runId: string): Thenable<unknown> =>
      vscode.commands.executeCommand('runlog.openCharts', { runIds: [runId] });
    quickPick.onDidAccept(() => {
      const [chosen] = quickPick.selectedItems;
      quickPick.hide();
      if (chosen) void openCharts(chosen.runId);
    });
    quickPick.onDidTriggerItemButton((event) => {
      quickPick.hide();
      if (event.button === charts) void openCharts(event.item.runId);
      else void stop(event.item.runId);
    });
    quickPick.onDidHide(() => quickPick.dispose());
    quickPick.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
