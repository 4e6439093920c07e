import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import * as vscode from 'vscode';
import type { MessageChannel, RequestHandlers } from '../../shared/messaging';
import { answering } from '../../shared/messaging';
import type { TableFormat } from '../../shared/tableData';
import type { TableHostMessage, TableReport, TableViewMessage, TableViewReplies } from '../../shared/tableProtocol';
import { isTableViewMessage } from '../../shared/tableProtocol';
import { artifactsRoot, tooLarge } from '../runs/artifactPreview';
import { throttled } from '../util/throttle';
import { connectToWebview } from './panelChannel';
import { webviewHtml, webviewRoot } from './webviewHtml';

/** A file that changes while it is open (a running run appending rows) is sent again at most this often. */
const RELOAD_MS = 250;

/**
 * The table viewer, a read-only custom editor (`runlog.table`) for MLflow's `.json` tables and
 * for `.csv` / `.tsv` files: the Runs view opens a run's tables with it, and any such file can be
 * reopened with it (Reopen Editor With…). The host checks the size, reads the file and sends its
 * bytes; the webview parses, sorts, filters and draws the rows on screen. Image cells load from
 * the run's artifacts, the only folder besides the bundle the webview may read. The file is
 * watched: rows a run appends appear.
 */
export class TableEditorProvider implements vscode.CustomReadonlyEditorProvider {
  static readonly viewType = 'runlog.table';
  private readonly rendered = new vscode.EventEmitter<TableReport>();
  /** The webviews' reports of what they show (integration tests read them). */
  readonly onDidRender = this.rendered.event;
  lastReport: TableReport | undefined;
  private last: MessageChannel<TableHostMessage, TableViewMessage> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  /** Sorts and filters the table shown last, as its toolbar would (tests). */
  query(change: { filter?: string; sort?: { column: string; descending: boolean } | null }): void {
    this.last?.send({ type: 'query', ...change });
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const file = document.uri.fsPath;
    const artifacts = artifactsRoot(file);
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [webviewRoot(this.extensionUri), ...(artifacts ? [vscode.Uri.file(artifacts)] : [])],
    };
    const requests: RequestHandlers<TableViewMessage, TableViewReplies> = {
      exportCsv: async (message) => {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const name = message.name.replace(/[\\/:*?"<>|]+/g, '_');
        const target = await vscode.window.showSaveDialog({
          defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
          filters: { CSV: ['csv'] },
        });
        if (!target) return null;
        await vscode.workspace.fs.writeFile(target, Buffer.from(message.csv, 'utf8'));
        return target.fsPath;
      },
    };
    const channel = connectToWebview<TableHostMessage, TableViewMessage>(panel, {
      isMessage: isTableViewMessage,
      onEvent: (message) => {
        if (message.type === 'ready') void send();
        else if (message.type === 'rendered') {
          this.lastReport = message.report;
          this.rendered.fire(message.report);
        }
      },
      onRequest: answering(requests),
      onInvalid: (reason) => this.log.warn(`Table viewer: dropped a message from the webview (${reason})`),
    });
    this.last = channel;
    const send = async (): Promise<void> => {
      try {
        const size = (await stat(file)).size;
        const problem = tooLarge(basename(file), 'table', size);
        if (problem) return channel.send({ type: 'problem', message: problem });
        const data = new Uint8Array(await readFile(file));
        const base = artifacts ? `${panel.webview.asWebviewUri(vscode.Uri.file(artifacts)).toString()}/` : null;
        channel.send({ type: 'table', file: { name: basename(file), format: formatOf(file), data, base } });
      } catch (error) {
        channel.send({ type: 'problem', message: `${basename(file)} cannot be read: ${(error as Error).message}` });
      }
    };
    const reload = throttled(() => void send(), RELOAD_MS);
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(dirname(file)), basename(file)),
    );
    const subscriptions = [reload, watcher, watcher.onDidChange(() => reload()), watcher.onDidCreate(() => reload())];
    panel.onDidChangeViewState(({ webviewPanel }) => {
      if (webviewPanel.active) this.last = channel;
    });
    panel.onDidDispose(() => {
      for (const s of subscriptions) s.dispose();
      if (this.last === channel) this.last = undefined;
    });
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'table', basename(file), true);
  }
}

function formatOf(file: string): TableFormat {
  const extension = extname(file).toLowerCase();
  return extension === '.csv' ? 'csv' : extension === '.tsv' ? 'tsv' : 'json';
}
