// A scripted `App` (src/app/app.ts) for command tests in plain Node: it records what a command showed
// and asked, and answers from queues the test fills (nothing queued: the user dismissed it).
import type {
  App,
  AppLog,
  AppSecrets,
  AppState,
  Disposable,
  InputOptions,
  PickItem,
  PickOptions,
  ProgressReport,
} from '../../src/app/app';

export interface Shown {
  readonly kind: 'information' | 'warning' | 'error';
  readonly message: string;
  readonly actions: readonly string[];
}

export class FakeApp implements App {
  /** Notifications, in order. */
  readonly shown: Shown[] = [];
  /** Modal confirmations asked: the message, the button and the detail. */
  readonly confirmations: { message: string; action: string; detail?: string }[] = [];
  /** Input boxes opened, with their options (a test can call `validateInput`). */
  readonly inputs: InputOptions[] = [];
  /** Quick picks opened: their items and options. */
  readonly picks: { items: readonly PickItem[]; options: PickOptions; many: boolean }[] = [];
  readonly executed: { command: string; args: unknown[] }[] = [];
  readonly clipboard: string[] = [];
  readonly commands = new Map<string, (...args: unknown[]) => unknown>();
  readonly logged: { level: 'info' | 'warn' | 'error'; message: string }[] = [];
  logShown = 0;
  isTrusted = true;

  /** What the next input boxes answer (undefined: dismissed). */
  readonly inputAnswers: (string | undefined)[] = [];
  /** Whether the next confirmations are accepted. */
  readonly confirmAnswers: boolean[] = [];
  /** What the next quick picks answer: item labels (one for a single pick), or undefined (dismissed). */
  readonly pickAnswers: (readonly string[] | undefined)[] = [];
  /** Which action the next notifications' users click (undefined: none). */
  readonly actionAnswers: (string | undefined)[] = [];

  readonly log: AppLog = {
    info: (message) => this.logged.push({ level: 'info', message }),
    warn: (message) => this.logged.push({ level: 'warn', message }),
    error: (message) => this.logged.push({ level: 'error', message }),
    show: () => {
      this.logShown++;
    },
  };

  private readonly state = new Map<string, unknown>();
  readonly workspaceState: AppState = {
    get: <T>(key: string) => this.state.get(key) as T | undefined,
    update: (key, value) => {
      this.state.set(key, value);
      return Promise.resolve();
    },
  };

  /** What SecretStorage holds. */
  readonly secretValues = new Map<string, string>();
  readonly secrets: AppSecrets = {
    get: (key) => Promise.resolve(this.secretValues.get(key)),
    store: (key, value) => {
      this.secretValues.set(key, value);
      return Promise.resolve();
    },
    delete: (key) => {
      this.secretValues.delete(key);
      return Promise.resolve();
    },
  };

  /** Progress notifications: their titles and what they reported. */
  readonly progress: { title: string; reports: string[] }[] = [];
  /** Set by a test to cancel the progress notifications that start after it. */
  readonly cancelProgress = new AbortController();

  withProgress<T>(title: string, task: (report: ProgressReport, signal: AbortSignal) => Promise<T>): Promise<T> {
    const entry = { title, reports: [] as string[] };
    this.progress.push(entry);
    return task((message) => entry.reports.push(message), this.cancelProgress.signal);
  }

  /** The messages of the notifications of one kind. */
  messages(kind: Shown['kind']): string[] {
    return this.shown.filter((s) => s.kind === kind).map((s) => s.message);
  }

  private show(kind: Shown['kind'], message: string, actions: string[]): Promise<string | undefined> {
    this.shown.push({ kind, message, actions });
    return Promise.resolve(actions.length > 0 ? this.actionAnswers.shift() : undefined);
  }

  showInformationMessage(message: string, ...actions: string[]): Promise<string | undefined> {
    return this.show('information', message, actions);
  }

  showWarningMessage(message: string, ...actions: string[]): Promise<string | undefined> {
    return this.show('warning', message, actions);
  }

  showErrorMessage(message: string, ...actions: string[]): Promise<string | undefined> {
    return this.show('error', message, actions);
  }

  confirm(message: string, action: string, detail?: string): Promise<boolean> {
    this.confirmations.push({ message, action, ...(detail === undefined ? {} : { detail }) });
    return Promise.resolve(this.confirmAnswers.shift() ?? false);
  }

  showQuickPick<T extends PickItem>(items: readonly T[], options: PickOptions): Promise<T | undefined> {
    this.picks.push({ items, options, many: false });
    const [label] = this.pickAnswers.shift() ?? [];
    return Promise.resolve(items.find((item) => item.label === label));
  }

  showQuickPickMany<T extends PickItem>(items: readonly T[], options: PickOptions): Promise<T[] | undefined> {
    this.picks.push({ items, options, many: true });
    const labels = this.pickAnswers.shift();
    return Promise.resolve(labels && items.filter((item) => labels.includes(item.label)));
  }

  showInputBox(options: InputOptions): Promise<string | undefined> {
    this.inputs.push(options);
    return Promise.resolve(this.inputAnswers.shift());
  }

  writeClipboard(text: string): Promise<void> {
    this.clipboard.push(text);
    return Promise.resolve();
  }

  executeCommand(command: string, ...args: unknown[]): Promise<unknown> {
    this.executed.push({ command, args });
    const handler = this.commands.get(command);
    return Promise.resolve(handler?.(...args));
  }

  registerCommand(command: string, handler: (...args: unknown[]) => unknown): Disposable {
    if (this.commands.has(command)) throw new Error(`command '${command}' already exists`);
    this.commands.set(command, handler);
    return { dispose: () => this.commands.delete(command) };
  }
}
