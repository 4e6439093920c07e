import * as vscode from 'vscode';
import { sandboxedHtmlPage } from '../runs/artifactPreview';

export const HTML_PREVIEW_VIEW_TYPE = 'runlog.htmlPreview';

/**
 * An HTML artifact (a figure `log_figure` wrote as HTML, a report) in a webview with scripts off
 * and no local resources: the page of `sandboxedHtmlPage`, which frames the file in a sandbox.
 * One panel per file; opening the same file again shows it anew.
 */
export class HtmlPreviews implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  show(file: vscode.Uri, html: string, title: string): vscode.WebviewPanel {
    const key = file.toString();
    let panel = this.panels.get(key);
    if (panel) panel.reveal(undefined, false);
    else {
      panel = vscode.window.createWebviewPanel(HTML_PREVIEW_VIEW_TYPE, title, vscode.ViewColumn.Active, {
        enableScripts: false,
        localResourceRoots: [],
      });
      const created = panel;
      this.panels.set(key, created);
      created.onDidDispose(() => this.panels.delete(key));
    }
    panel.webview.html = sandboxedHtmlPage(html, title);
    return panel;
  }

  /** The panel showing `file`, if one is open (tests read its page). */
  panelOf(file: vscode.Uri): vscode.WebviewPanel | undefined {
    return this.panels.get(file.toString());
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
  }
}
