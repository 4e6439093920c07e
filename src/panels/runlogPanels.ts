import * as vscode from 'vscode';
import type { RunlogCommands } from '../app/commands';
import { compareRuns } from '../commands/compareRuns';
import { openArtifact } from '../commands/openArtifact';
import { openCharts } from '../commands/openCharts';
import { openMedia } from '../commands/openMedia';
import { resolveRunTargets } from '../commands/runTargets';
import type { WorkspaceStores } from '../workspaceStores';
import type { ChartsPanelDeps } from './chartsPanel';
import { ChartsPanel } from './chartsPanel';
import { COMPARE_VIEW_TYPE } from './comparePanel';
import { ComparePanels } from './comparePanels';
import { HTML_PREVIEW_VIEW_TYPE, HtmlPreviews } from './htmlPreview';
import type { MediaPanelDeps } from './mediaPanel';
import { MediaPanel } from './mediaPanel';
import { TableEditorProvider } from './tableEditor';
import type { RunsTableDeps } from './runsTablePanel';
import { RunsTablePanel } from './runsTablePanel';

/** What the runs table shares with the Runs view: the filter and the selection. */
export type RunsViewLink = Pick<RunsTableDeps, 'filter' | 'onViewSelection' | 'revealInView'>;

/**
 * The webview panels: Charts, Media and the runs table (one panel each) and Compare (one per
 * comparison), which come back after a reload through their serializers and follow the stores'
 * change notices while open; the table viewer (a custom editor) and HTML previews (which come back
 * too, read again from disk), where artifacts open.
 */
export class RunlogPanels implements vscode.Disposable {
  readonly compare: ComparePanels;
  readonly tables: TableEditorProvider;
  readonly htmlPreviews: HtmlPreviews;
  private readonly charts: ChartsPanelDeps;
  private readonly media: MediaPanelDeps;
  private readonly table: RunsTableDeps;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    context: vscode.ExtensionContext,
    private readonly stores: WorkspaceStores,
    log: vscode.LogOutputChannel,
    /** Opens the diff editor between two runs' code (Compare's "diff code"). */
    diffCode: (left: string, right: string) => Promise<void>,
    runsView: RunsViewLink,
  ) {
    this.table = {
      extensionUri: context.extensionUri,
      workspaceState: context.workspaceState,
      log,
      folders: stores.folders,
      onStoreChanged: stores.onDidChangeRuns,
      onFoldersChanged: stores.onDidChangeFolders,
      ...runsView,
    };
    this.charts = {
      extensionUri: context.extensionUri,
      workspaceState: context.workspaceState,
      log,
      onStoreChanged: stores.onDidChangeRuns,
      resolve: (runIds) => resolveRunTargets({ runIds }, undefined, stores.folders),
      revealRun: (runId) => void vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: [runId] }),
    };
    this.media = {
      extensionUri: context.extensionUri,
      log,
      onStoreChanged: stores.onDidChangeRuns,
      resolve: (runIds) => this.charts.resolve(runIds),
      revealRun: (runId) => this.charts.revealRun(runId),
    };
    this.htmlPreviews = new HtmlPreviews(() => stores.storeDirs());
    this.tables = new TableEditorProvider(context.extensionUri, log);
    this.compare = new ComparePanels({ extensionUri: context.extensionUri, folders: stores.folders, log, diffCode });
    this.subscriptions = [
      vscode.window.registerWebviewPanelSerializer(ChartsPanel.viewType, {
        deserializeWebviewPanel: async (panel, state) => {
          await ChartsPanel.revive(panel, this.charts, state);
        },
      }),
      { dispose: () => ChartsPanel.active?.dispose() },
      vscode.window.registerWebviewPanelSerializer(MediaPanel.viewType, {
        deserializeWebviewPanel: async (panel, state) => {
          await MediaPanel.revive(panel, this.media, state);
        },
      }),
      { dispose: () => MediaPanel.active?.dispose() },
      vscode.window.registerCustomEditorProvider(TableEditorProvider.viewType, this.tables, {
        supportsMultipleEditorsPerDocument: true,
      }),
      this.htmlPreviews,
      vscode.window.registerWebviewPanelSerializer(HTML_PREVIEW_VIEW_TYPE, this.htmlPreviews),
      vscode.window.registerWebviewPanelSerializer(RunsTablePanel.viewType, {
        deserializeWebviewPanel: (panel) => {
          RunsTablePanel.revive(panel, this.table);
          return Promise.resolve();
        },
      }),
      { dispose: () => RunsTablePanel.active?.dispose() },
      this.compare,
      vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, this.compare),
      stores.onDidChangeRuns(({ runIds }) => this.compare.storeChanged(runIds)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('runlog.metricGoals')) this.compare.refreshAll();
      }),
    ];
  }

  /** What VS Code's serializer does with a Charts panel after a reload, on a new panel. */
  reviveCharts(state: unknown): Promise<ChartsPanel> {
    const panel = vscode.window.createWebviewPanel(ChartsPanel.viewType, 'Charts', vscode.ViewColumn.Active);
    return ChartsPanel.revive(panel, this.charts, state);
  }

  /** What VS Code's serializer does with a Media panel after a reload, on a new panel. */
  reviveMedia(state: unknown): Promise<MediaPanel> {
    const panel = vscode.window.createWebviewPanel(MediaPanel.viewType, 'Media', vscode.ViewColumn.Active);
    return MediaPanel.revive(panel, this.media, state);
  }

  commands(): Pick<
    RunlogCommands,
    'runlog.openCharts' | 'runlog.compareRuns' | 'runlog.openMedia' | 'runlog.openArtifact' | 'runlog.openRunsTable'
  > {
    return {
      'runlog.openArtifact': (ref) => openArtifact(this.htmlPreviews, ref),
      'runlog.openRunsTable': () => RunsTablePanel.show(this.table),
      'runlog.openCharts': (target, selected) => openCharts(this.charts, this.stores.folders, target, selected),
      'runlog.openMedia': (target, selected) => openMedia(this.media, this.stores.folders, target, selected),
      'runlog.compareRuns': (target, selected) => compareRuns(this.compare, this.stores.folders, target, selected),
    };
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
