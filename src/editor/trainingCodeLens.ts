import * as vscode from 'vscode';
import { isTrainingScript } from '../runs/launch';

const MAX_SUMMARY = 60;

/**
 * Code lenses above a Python training script: ▶ Run, ▶ Run with parameters…, and ↻ Rerun last
 * with the values of the last launch. Shown on files with a `__main__` block or tracking calls.
 */
export class TrainingCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly lastValues: (script: vscode.Uri) => Readonly<Record<string, string>> | undefined) {}

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!isTrainingScript(document.getText())) return [];
    const range = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(range, {
        title: '▶ Run',
        command: 'runlog.runScript',
        arguments: [document.uri],
        tooltip: 'Run this script with its default parameters, tracked by Runlog',
      }),
      new vscode.CodeLens(range, {
        title: '▶ Run with parameters…',
        command: 'runlog.runWithParameters',
        arguments: [document.uri],
        tooltip: 'Choose parameter values (or sweeps) and launch',
      }),
    ];
    const last = this.lastValues(document.uri);
    if (last) {
      const summary = Object.entries(last)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      lenses.push(
        new vscode.CodeLens(range, {
          title: `↻ Rerun last${summary ? ` (${summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY)}…` : summary})` : ''}`,
          command: 'runlog.rerunLast',
          arguments: [document.uri],
          tooltip: summary,
        }),
      );
    }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
