import * as vscode from 'vscode';
import type { AutoPushState } from '../commands/autoPush';

/**
 * The status bar while `runlog.autoPush` has pushes pending or failed (hidden otherwise):
 * `$(cloud-upload) 2` while two runs wait or go, `$(cloud-upload) 1 failed` after a failure, each
 * failed run and why in the tooltip; a click shows the Runlog log.
 */
export class SyncStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('runlog.autoPush', vscode.StatusBarAlignment.Left, 49);

  constructor() {
    this.item.name = 'Runlog: Pushes to Servers';
    this.item.command = 'runlog.showLog';
  }

  /** The item's text, undefined while it is hidden (tests read it). */
  text: string | undefined;

  update({ pending, failed }: AutoPushState): void {
    if (pending === 0 && failed.length === 0) {
      this.item.hide();
      this.text = undefined;
      return;
    }
    const parts = [pending > 0 ? `${pending}` : undefined, failed.length > 0 ? `${failed.length} failed` : undefined];
    this.text = `$(cloud-upload) ${parts.filter((p) => p !== undefined).join(' · ')}`;
    this.item.text = this.text;
    const lines = [pending > 0 ? `${pending} run${pending === 1 ? '' : 's'} to push` : undefined];
    for (const f of failed.slice(0, 10)) lines.push(`${f.run} → ${f.server}: ${f.reason}`);
    const tooltip = new vscode.MarkdownString();
    for (const line of lines) if (line !== undefined) tooltip.appendText(line).appendMarkdown('  \n');
    this.item.tooltip = tooltip;
    this.item.backgroundColor =
      failed.length > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
