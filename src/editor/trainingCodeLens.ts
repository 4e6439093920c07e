import * as vscode from 'vscode';
import type { SummaryLens } from '../insights/insightText';
import { isTrainingScript } from '../runs/trainingScripts';

const MAX_SUMMARY = 60;
/** How long the lenses wait for the run summary before showing without it (it follows when it comes). */
const SUMMARY_WAIT_MS = 1_000;

/** The summary lens of a script, from its runs in the store; undefined when it has none. */
export type ScriptSummaryLens = (script: vscode.Uri) => Promise<SummaryLens | undefined>;

/**
 * Code lenses above a Python training script: ▶ Run, ▶ Run with parameters…, ↻ Rerun last with the
 * values of the last launch, and once the script has runs, their summary
 * (`12 runs · best val_loss 0.213 (bright-owl)`), which opens them. Shown on files with a
 * `__main__` block or tracking calls.
 */
export class TrainingCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  /** Summaries asked for, by script URI; dropped when the runs change. */
  private readonly summaries = new Map<string, Promise<SummaryLens | undefined>>();

  constructor(
    private readonly lastValues: (script: vscode.Uri) => Readonly<Record<string, string>> | undefined,
    private readonly summary?: ScriptSummaryLens,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  /** The runs changed: summaries are asked for again. */
  runsChanged(): void {
    this.summaries.clear();
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
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
    const runs = await this.summaryOf(document.uri);
    if (runs) {
      lenses.push(
        new vscode.CodeLens(range, {
          title: runs.title,
          command: runs.command,
          arguments: [runs.arg],
          tooltip: runs.tooltip,
        }),
      );
    }
    return lenses;
  }

  /**
   * The script's summary if it comes within SUMMARY_WAIT_MS (a store that is still opening must not
   * hold up ▶ Run); a later answer is kept and the lenses are asked for again.
   */
  private async summaryOf(script: vscode.Uri): Promise<SummaryLens | undefined> {
    if (!this.summary) return undefined;
    const key = script.toString();
    let pending = this.summaries.get(key);
    if (!pending) {
      pending = this.summary(script).catch(() => undefined);
      this.summaries.set(key, pending);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = Symbol('late');
    const result = await Promise.race([
      pending,
      new Promise<typeof late>((resolve) => {
        timer = setTimeout(() => resolve(late), SUMMARY_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (result !== late) return result;
    const waited = pending;
    void waited.then(() => {
      if (this.summaries.get(key) === waited) this.changed.fire();
    });
    return undefined;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
