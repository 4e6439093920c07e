// The VS Code calls that command logic makes, as one small interface (github/vscode-codeql's `App`
// is the model). Commands written against it run in plain Node tests with a fake
// (test/support/fakeApp.ts); src/app/vscodeApp.ts is the real one. Only what commands need is here:
// a command that needs more of VS Code (an editor, a terminal, a webview) keeps it in its surface
// folder and passes its pure part an `App`.

/** Something to release later: a command's registration (`vscode.Disposable` fits). */
export interface Disposable {
  dispose(): unknown;
}

/** The Runlog output channel (`vscode.LogOutputChannel` fits). */
export interface AppLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  show(): void;
}

/** What Runlog keeps per workspace (`vscode.Memento` fits). */
export interface AppState {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

/** One entry of a quick pick (`vscode.QuickPickItem` fits). */
export interface PickItem {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
  /** Chosen already when the pick opens (a multi-select pick). */
  readonly picked?: boolean;
}

export interface PickOptions {
  readonly title?: string;
  readonly placeHolder?: string;
  readonly matchOnDescription?: boolean;
  readonly matchOnDetail?: boolean;
}

export interface InputOptions {
  readonly title?: string;
  readonly prompt?: string;
  readonly value?: string;
  /** Typed characters hidden (a token, a password). */
  readonly password?: boolean;
  /** What is wrong with the text as typed (shown under the box), or undefined when nothing is. */
  readonly validateInput?: (text: string) => string | undefined;
}

/** Secrets kept by the editor, outside settings and logs (`vscode.SecretStorage` fits). */
export interface AppSecrets {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

/** What a long task reports: a line of progress, and how much of the whole is done (0–1) if known. */
export type ProgressReport = (message: string, done?: number) => void;

export interface App {
  readonly log: AppLog;
  readonly workspaceState: AppState;
  readonly secrets: AppSecrets;
  /** Whether the workspace is trusted now (trust can be granted while the extension runs). */
  readonly isTrusted: boolean;

  /** Notifications: each resolves with the action the user clicked, or undefined. Not modal. */
  showInformationMessage(message: string, ...actions: string[]): Promise<string | undefined>;
  showWarningMessage(message: string, ...actions: string[]): Promise<string | undefined>;
  showErrorMessage(message: string, ...actions: string[]): Promise<string | undefined>;
  /** A modal warning with one button, `action`: true when the user chose it (false: Cancel, Escape). */
  confirm(message: string, action: string, detail?: string): Promise<boolean>;

  /** A quick pick of one item; undefined when dismissed. */
  showQuickPick<T extends PickItem>(items: readonly T[], options: PickOptions): Promise<T | undefined>;
  /** A quick pick of several items (those `picked` chosen at first); undefined when dismissed. */
  showQuickPickMany<T extends PickItem>(items: readonly T[], options: PickOptions): Promise<T[] | undefined>;
  /** An input box; undefined when dismissed. */
  showInputBox(options: InputOptions): Promise<string | undefined>;

  /** A cancellable progress notification while `task` runs; cancelling aborts `signal`. */
  withProgress<T>(title: string, task: (report: ProgressReport, signal: AbortSignal) => Promise<T>): Promise<T>;

  writeClipboard(text: string): Promise<void>;
  executeCommand(command: string, ...args: unknown[]): Promise<unknown>;
  registerCommand(command: string, handler: (...args: unknown[]) => unknown): Disposable;
}
