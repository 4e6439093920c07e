import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { commandLine } from '../util/shellQuote';

/**
 * Install Python Client: `<python> -m pip install <extension>/python` for the interpreter runs use,
 * so scripts run from a terminal or CI with that interpreter can `import runlog`. The build needs
 * nothing from a package index (python/pyproject.toml), so this works offline too.
 */
export interface ClientInstallSpec {
  /** The interpreter runs use (the launcher's choice). */
  readonly python: string;
  /** The extension's `python/` folder: the package pip installs. */
  readonly clientPath: string;
}

/**
 * How an install ended: `installed`; `externally-managed` (PEP 668: the system's package manager
 * owns this Python and pip refuses, rightly, without --break-system-packages, which Runlog never
 * passes); `no-pip` (the interpreter has no pip module); `not-started` (no such interpreter);
 * `stopped` (the user closed the terminal); `failed` (anything else: the terminal shows pip's reason).
 */
export type ClientInstallOutcome = 'installed' | 'externally-managed' | 'no-pip' | 'not-started' | 'stopped' | 'failed';

export interface ClientInstallResult {
  readonly outcome: ClientInstallOutcome;
  readonly exitCode: number | null;
}

/** The argv: the program and its arguments, never a shell string. */
export function clientInstallArgs(spec: ClientInstallSpec): { command: string; args: string[] } {
  return { command: spec.python, args: ['-m', 'pip', 'install', spec.clientPath] };
}

/** The command as the user would type it, quoted for the platform's shell: shown, never run by a shell. */
export function clientInstallCommandLine(spec: ClientInstallSpec, platform: NodeJS.Platform): string {
  const { command, args } = clientInstallArgs(spec);
  return commandLine([command, ...args], platform);
}

/** What pip's exit code and output mean for the user. */
export function classifyClientInstall(exitCode: number | null, output: string): ClientInstallOutcome {
  if (exitCode === 0) return 'installed';
  if (/externally-managed-environment/.test(output)) return 'externally-managed';
  if (/No module named pip\b/.test(output)) return 'no-pip';
  return 'failed';
}

/** Keeps the end of pip's output: enough to classify, bounded however much pip prints. */
const OUTPUT_KEPT = 64 * 1024;

/** One `pip install` of the client: output streams to `onOutput`; `stop()` ends it. */
export class ClientInstall {
  readonly done: Promise<ClientInstallResult>;
  private child: ChildProcess | undefined;
  private stopped = false;
  private resolveDone!: (result: ClientInstallResult) => void;

  constructor(private readonly spec: ClientInstallSpec) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  start(onOutput: (text: string) => void): void {
    const { command, args } = clientInstallArgs(this.spec);
    let output = '';
    let settled = false;
    const settle = (result: ClientInstallResult): void => {
      if (settled) return;
      settled = true;
      this.resolveDone(result);
    };
    const take = (data: Buffer): void => {
      const text = data.toString('utf8');
      output = (output + text).slice(-OUTPUT_KEPT);
      onOutput(text);
    };
    try {
      this.child = spawn(command, args, {
        env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      onOutput(`${(error as Error).message}\n`);
      settle({ outcome: 'not-started', exitCode: null });
      return;
    }
    this.child.stdout?.on('data', take);
    this.child.stderr?.on('data', take);
    this.child.on('error', (error) => {
      onOutput(`${error.message}\n`);
      settle({ outcome: 'not-started', exitCode: null });
    });
    this.child.on('close', (code) => {
      settle({ outcome: this.stopped ? 'stopped' : classifyClientInstall(code, output), exitCode: code });
    });
  }

  stop(): void {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.stopped = true;
    this.child.kill();
  }
}
