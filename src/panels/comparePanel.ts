import * as vscode from 'vscode';
import type {
  CompareHostMessage,
  CompareHostReplies,
  CompareSnapshot,
  CompareWebviewMessage,
  ExportDestination,
  ExportFormat,
  RenderReport,
} from '../../shared/compareProtocol';
import { isCompareWebviewMessage } from '../../shared/compareProtocol';
import { toCsv, toMarkdown } from '../../shared/compareModel';
import type { MessageChannel } from '../../shared/messaging';
import type { GpuUsage } from '../../shared/systemMetrics';
import { compareSnapshot, readGoals } from '../runs/compareSnapshot';
import type { RunDetails } from '../store/types';
import { throttled } from '../util/throttle';
import type { StoreFolder } from '../workspaceStores';
import { connectToWebview } from './panelChannel';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const COMPARE_VIEW_TYPE = 'runlog.compare';

export interface CompareContext {
  readonly extensionUri: vscode.Uri;
  readonly folders: () => readonly StoreFolder[];
  readonly log: vscode.LogOutputChannel;
  /** Opens the diff of two runs' code. */
  readonly diffCode: (left: string, right: string) => Promise<void>;
  /** A render report from the webview (the panels keep the last one for tests). */
  readonly rendered: (report: RenderReport) => void;
}

/** The run with this id in whichever store of the workspace has it, and that store. */
async function findRunIn(
  folders: readonly StoreFolder[],
  runId: string,
): Promise<{ run: RunDetails; store: StoreFolder['store'] } | undefined> {
  for (const { store } of folders) {
    const run = await store.call('getRun', runId).catch(() => undefined);
    if (run) return { run, store };
  }
  return undefined;
}

/** The run with this id in whichever store of the workspace has it. */
export async function findRun(folders: readonly StoreFolder[], runId: string): Promise<RunDetails | undefined> {
  return (await findRunIn(folders, runId))?.run;
}

/** While a compared run is going, its duration moves even when it logs nothing. */
const RUNNING_TICK_MS = 5_000;
/** A running run changes several times a second: at most one snapshot per this long, the last change included. */
const CHANGE_THROTTLE_MS = 250;

/**
 * One Compare panel: the host keeps which runs it compares, reads them from the stores and pushes
 * a snapshot whenever they change; the webview draws it and sends back intents.
 */
export class ComparePanel {
  private readonly channel: MessageChannel<CompareHostMessage, CompareWebviewMessage, CompareHostReplies>;
  private snapshot: CompareSnapshot | undefined;
  private readonly refreshSoon = throttled(() => void this.refresh(), CHANGE_THROTTLE_MS);
  private ticker: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private runIds: readonly string[],
    private readonly context: CompareContext,
    onDispose: () => void,
  ) {
    panel.webview.options = webviewOptions(context.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, context.extensionUri, 'compare', 'Compare Runs', true);
    this.channel = connectToWebview<CompareHostMessage, CompareWebviewMessage, CompareHostReplies>(panel, {
      onEvent: (message) => void this.handle(message),
      onRequest: () => Promise.reject(new Error('the compare panel host answers no requests')),
      isMessage: isCompareWebviewMessage,
      onInvalid: (reason) => context.log.warn(`Compare panel: dropped a message from the webview (${reason})`),
    });
    panel.onDidDispose(() => {
      this.disposed = true;
      this.refreshSoon.dispose();
      clearInterval(this.ticker);
      onDispose();
    });
  }

  get ids(): readonly string[] {
    return this.runIds;
  }

  /** The comparison last sent to the webview (integration tests read its values). */
  get shown(): CompareSnapshot | undefined {
    return this.snapshot;
  }

  /** Compares other runs in this panel. */
  show(runIds: readonly string[]): void {
    this.runIds = runIds;
    this.panel.reveal();
    void this.refresh();
  }

  /** Refreshes when one of the compared runs changed in a store. */
  changed(runIds: readonly string[]): void {
    if (!runIds.some((id) => this.runIds.includes(id))) return;
    this.refreshSoon();
  }

  async refresh(): Promise<void> {
    const folders = this.context.folders();
    const found = new Map<string, RunDetails>();
    const gpus = new Map<string, readonly GpuUsage[]>();
    await Promise.all(
      this.runIds.map(async (id) => {
        const where = await findRunIn(folders, id);
        if (!where) return;
        found.set(id, where.run);
        const [usage] = await where.store.call('gpuUsage', [id]).catch(() => []);
        if (usage) gpus.set(id, usage[1]);
      }),
    );
    if (this.disposed) return;
    const goals = readGoals(vscode.workspace.getConfiguration('runlog').get('metricGoals'));
    this.snapshot = compareSnapshot(this.runIds, found, goals, Date.now(), gpus);
    this.panel.title = titleOf(this.snapshot);
    this.channel.send({ type: 'snapshot', snapshot: this.snapshot });
    const going = this.snapshot.runs.some((r) => r.status === 'RUNNING');
    if (going && !this.ticker) this.ticker = setInterval(() => void this.refresh(), RUNNING_TICK_MS);
    if (!going && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  /** The comparison as Markdown or CSV, into a file, an untitled editor or the clipboard. */
  async export(format: ExportFormat, destination: ExportDestination, onlyDifferences: boolean): Promise<void> {
    const snapshot = this.snapshot;
    if (!snapshot || snapshot.runs.length === 0) {
      void vscode.window.showInformationMessage('Runlog: there are no runs to export.');
      return;
    }
    const text =
      format === 'markdown' ? toMarkdown(snapshot, { onlyDifferences }) : toCsv(snapshot, { onlyDifferences });
    if (destination === 'clipboard') {
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage('Runlog: the comparison is on the clipboard as a Markdown table.');
      return;
    }
    if (destination === 'document') {
      const document = await vscode.workspace.openTextDocument({
        language: format === 'markdown' ? 'markdown' : 'csv',
        content: text,
      });
      await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside });
      return;
    }
    const extension = format === 'markdown' ? 'md' : 'csv';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, `runs-comparison.${extension}`) : undefined,
      filters: format === 'markdown' ? { Markdown: ['md'] } : { CSV: ['csv'] },
      title: `Save the comparison as ${format === 'markdown' ? 'Markdown' : 'CSV'}`,
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  }

  private async handle(message: CompareWebviewMessage): Promise<void> {
    try {
      switch (message.type) {
        case 'ready':
          await this.refresh();
          break;
        case 'removeRun':
          this.runIds = this.runIds.filter((id) => id !== message.runId);
          await this.refresh();
          break;
        case 'diffCode':
          await this.context.diffCode(message.left, message.right);
          break;
        case 'export':
          await this.export(message.format, message.destination, message.onlyDifferences);
          break;
        case 'rendered':
          this.context.rendered(message.report);
          break;
      }
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.context.log.error(`Compare panel: ${message.type} failed: ${text}`);
      void vscode.window.showErrorMessage(`Runlog: ${text}`);
    }
  }
}

function titleOf(snapshot: CompareSnapshot): string {
  const names = snapshot.runs.map((r) => r.name);
  if (names.length === 0) return 'Compare Runs';
  const shown = names.slice(0, 3).join(', ');
  return `Compare: ${shown}${names.length > 3 ? ` +${names.length - 3}` : ''}`;
}
