import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MLprojectDiagnostic } from '../params/mlproject';
import { parseMLproject } from '../params/mlproject';
import { environmentFileDiagnostics, isMLprojectFile } from '../params/mlprojectFiles';
import type { SourceRange } from '../params/paramSpec';
import { KeyedDebounce } from '../util/debounce';

/** Typing pauses shorter than this do not re-check the file. */
const DEBOUNCE_MS = 300;

/**
 * MLproject files by name rather than language, so lenses and hovers stay when a user maps the file
 * to another language; MLflow ignores the name's case.
 */
export const MLPROJECT_FILES: vscode.DocumentFilter = {
  scheme: 'file',
  pattern: '**/[Mm][Ll][Pp][Rr][Oo][Jj][Ee][Cc][Tt]',
};

export function isMLprojectDocument(document: vscode.TextDocument): boolean {
  return document.uri.scheme === 'file' && isMLprojectFile(document.uri.fsPath);
}

export function toRange(range: SourceRange): vscode.Range {
  return new vscode.Range(range.line, range.column, range.endLine, range.endColumn);
}

function toDiagnostic(problem: MLprojectDiagnostic): vscode.Diagnostic {
  const severity = problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const diagnostic = new vscode.Diagnostic(toRange(problem.range), problem.message, severity);
  diagnostic.source = 'MLproject';
  if (problem.code) diagnostic.code = problem.code;
  if (problem.code === 'unused-parameter') diagnostic.tags = [vscode.DiagnosticTag.Unnecessary];
  return diagnostic;
}

async function exists(file: string): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(vscode.Uri.file(file));
    return true;
  } catch {
    return false;
  }
}

/**
 * The problems of open MLproject files (`parseMLproject` plus a missing environment file), in the
 * Problems view and as squiggles: checked on open, after typing pauses, and again when the
 * environment file is created or deleted; cleared on close. Checking reads nothing
 * but the text and one stat, so it runs in restricted workspaces too.
 */
export class MLprojectDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('mlproject');
  private readonly pending = new KeyedDebounce();
  /** Each document's latest check; an older check that finishes later must not overwrite it. */
  private readonly generation = new Map<string, number>();
  /** The environment file each document names, to re-check it when that file appears or goes. */
  private readonly environmentFiles = new Map<string, string>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
    this.subscriptions = [
      this.collection,
      watcher,
      vscode.workspace.onDidOpenTextDocument((d) => this.check(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
      watcher.onDidCreate((uri) => this.fileChanged(uri)),
      watcher.onDidDelete((uri) => this.fileChanged(uri)),
    ];
    for (const document of vscode.workspace.textDocuments) this.check(document);
  }

  private fileChanged(uri: vscode.Uri): void {
    for (const document of vscode.workspace.textDocuments) {
      if (this.environmentFiles.get(document.uri.toString()) === uri.fsPath) this.check(document);
    }
  }

  private schedule(document: vscode.TextDocument): void {
    if (!isMLprojectDocument(document)) return;
    this.pending.schedule(document.uri.toString(), DEBOUNCE_MS, () => this.check(document));
  }

  private check(document: vscode.TextDocument): void {
    if (!isMLprojectDocument(document) || document.isClosed) return;
    const key = document.uri.toString();
    const generation = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, generation);
    const project = parseMLproject(document.getText());
    const dir = path.dirname(document.uri.fsPath);
    const env = project.environment;
    if (env && env.kind !== 'docker_env') this.environmentFiles.set(key, path.resolve(dir, env.file));
    else this.environmentFiles.delete(key);
    void environmentFileDiagnostics(project, dir, exists).then((more) => {
      if (this.generation.get(key) !== generation || document.isClosed) return;
      this.collection.set(document.uri, [...project.diagnostics, ...more].map(toDiagnostic));
    });
  }

  private forget(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    this.pending.cancel(key);
    this.generation.delete(key);
    this.environmentFiles.delete(key);
    this.collection.delete(document.uri);
  }

  dispose(): void {
    this.pending.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
