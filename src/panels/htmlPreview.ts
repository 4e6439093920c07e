import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ArtifactLocation, HtmlRestore } from '../runs/artifactFile';
import { htmlPreviewState, restoreHtmlPreview } from '../runs/artifactFile';
import { previewMessagePage, sandboxedHtmlPage } from '../runs/artifactPreview';

export const HTML_PREVIEW_VIEW_TYPE = 'runlog.htmlPreview';

/**
 * An HTML artifact (a figure `log_figure` wrote as HTML, a report) in a webview: the page of
 * `sandboxedHtmlPage`, which frames the file in a sandbox with scripts off and loads no local
 * resources. The page's one script (nonce-only) keeps the artifact's location in the webview state,
 * and this class is the view type's serializer: after a reload the file is read again from disk
 * (`restoreHtmlPreview`: the stores of this workspace only, no symbolic link or `..` out of the
 * run's artifacts, the same size limit), or the panel says why it is not.
 * One panel per file; opening the same file again shows it anew.
 */
export class HtmlPreviews implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  constructor(
    /** The store folders of the workspace: the only ones a restored preview reads from. */
    private readonly storeDirs: () => readonly string[],
  ) {}

  show(ref: ArtifactLocation, file: vscode.Uri, html: string): vscode.WebviewPanel {
    const key = file.toString();
    let panel = this.panels.get(key);
    if (panel) panel.reveal(undefined, false);
    else {
      panel = vscode.window.createWebviewPanel(HTML_PREVIEW_VIEW_TYPE, ref.path, vscode.ViewColumn.Active, OPTIONS);
      this.track(key, panel);
    }
    this.render(panel, ref, html);
    return panel;
  }

  /** VS Code's serializer: a preview kept across a reload, on a new panel, from its saved state. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    await this.restore(panel, state);
  }

  /** What `deserializeWebviewPanel` does, with what it decided (tests read it). */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<HtmlRestore> {
    const decision = await restoreHtmlPreview(state, this.storeDirs());
    if (decision.kind === 'show') {
      const key = vscode.Uri.file(decision.file).toString();
      // The same file open twice after a reload: the restored panel is the one kept.
      const other = this.panels.get(key);
      if (other && other !== panel) other.dispose();
      panel.webview.options = OPTIONS;
      this.track(key, panel);
      this.render(panel, decision.ref, decision.html);
    } else {
      panel.webview.options = { enableScripts: false, localResourceRoots: [] };
      panel.title = decision.title;
      panel.webview.html = previewMessagePage(decision.title, decision.message);
    }
    return decision;
  }

  /** The panel showing `file`, if one is open (tests read its page). */
  panelOf(file: vscode.Uri): vscode.WebviewPanel | undefined {
    return this.panels.get(file.toString());
  }

  private track(key: string, panel: vscode.WebviewPanel): void {
    this.panels.set(key, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
    });
  }

  private render(panel: vscode.WebviewPanel, ref: ArtifactLocation, html: string): void {
    panel.title = ref.path;
    const nonce = randomBytes(16).toString('base64');
    panel.webview.html = sandboxedHtmlPage(html, ref.path, { nonce, state: htmlPreviewState(ref) });
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
  }
}

/**
 * Scripts only for the page's own nonce'd script (its policy allows no other); no local resources.
 * The figure's scripts are off: its frame is sandboxed without `allow-scripts`.
 */
const OPTIONS: vscode.WebviewPanelOptions & vscode.WebviewOptions = { enableScripts: true, localResourceRoots: [] };
