import * as vscode from 'vscode';
import type { LastLaunch } from '../commands/launcher';
import { parseMLproject } from '../params/mlproject';
import { isMLprojectDocument, toRange } from './mlprojectDiagnostics';

const MAX_SUMMARY = 60;

/**
 * Code lenses above each entry point of an MLproject file: ▶ Run <name> (its defaults),
 * ▶ Run with parameters… (the form, from its typed parameters) and ↻ Rerun last once it was
 * launched. None in a restricted workspace, where launching (which runs the project's code) is
 * refused, and none above an entry point without a command (its diagnostic says why).
 */
export class MLprojectCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly lastLaunch: (mlproject: vscode.Uri, entryPoint: string) => LastLaunch | undefined) {}

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.isTrusted || !isMLprojectDocument(document)) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const entryPoint of parseMLproject(document.getText()).entryPoints) {
      if (entryPoint.command === undefined) continue;
      const range = toRange(entryPoint.location);
      const args = (mode: string): unknown[] => [document.uri, entryPoint.name, mode];
      lenses.push(
        new vscode.CodeLens(range, {
          title: `▶ Run ${entryPoint.name}`,
          command: 'runlog.runEntryPoint',
          arguments: args('defaults'),
          tooltip: `Run entry point '${entryPoint.name}' with its default parameters, tracked by Runlog`,
        }),
        new vscode.CodeLens(range, {
          title: '▶ Run with parameters…',
          command: 'runlog.runEntryPoint',
          arguments: args('form'),
          tooltip: 'Choose parameter values (or sweeps) and launch',
        }),
      );
      const last = this.lastLaunch(document.uri, entryPoint.name);
      if (last) {
        const values = Object.entries(last.values).map(([k, v]) => `${k}=${v}`);
        const summary = [values.join(', '), last.extra.join(' ')].filter(Boolean).join(' ');
        const short = summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY)}…` : summary;
        lenses.push(
          new vscode.CodeLens(range, {
            title: `↻ Rerun last${short ? ` (${short})` : ''}`,
            command: 'runlog.runEntryPoint',
            arguments: args('last'),
            tooltip: summary || 'The defaults',
          }),
        );
      }
    }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
