import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EndStatus } from '../store/events';
import type { RunJournal } from './runJournal';
import type { StdoutMetricParser } from './stdoutMetrics';

export interface ProcessSpec {
  /** The program and its arguments, as an argv array: never joined into a shell string. */
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** What the process's environment adds to the extension host's (a launch plan's `runEnv`). */
  readonly env: Readonly<Record<string, string>>;
  /** Set when the script logs nothing itself: its printed metrics become points. */
  readonly stdoutMetrics?: StdoutMetricParser;
}

export interface RunOutcome {
  readonly status: EndStatus;
  readonly exitCode: number | null;
}

/** How long a stopped run gets to finish after SIGINT before it is terminated. */
export const STOP_GRACE_MS = 5_000;
/** Lines of stderr kept on a failed run. */
const STDERR_TAIL = 20;

/**
 * One run's process: started with the environment its launch plan gives it (the run's id and store
 * among it: `launchPlan.ts`), its output teed to the terminal (through `onOutput`) and to the run's
 * `output.log` artifact; when it exits, the run ends FINISHED, FAILED (with the last lines of
 * stderr) or KILLED (when stopped).
 */
export class RunProcess {
  readonly exited: Promise<RunOutcome>;
  private child: ChildProcess | undefined;
  private stopping = false;
  private stopTimer: NodeJS.Timeout | undefined;
  private readonly stderrTail: string[] = [];
  private readonly stepCounters = new Map<string, number>();
  private resolveExit!: (outcome: RunOutcome) => void;

  constructor(
    private readonly journal: RunJournal,
    private readonly spec: ProcessSpec,
  ) {
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  /** Starts the process; `onOutput` receives its stdout and stderr as they come. */
  start(onOutput: (text: string) => void): void {
    const log = createWriteStream(join(this.journal.dir, 'artifacts', 'output.log'));
    let child: ChildProcess;
    try {
      child = spawn(this.spec.command, [...this.spec.args], {
        cwd: this.spec.cwd,
        env: { ...process.env, ...this.spec.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      this.fail(onOutput, log, (error as Error).message);
      return;
    }
    this.child = child;
    if (child.pid !== undefined) {
      // From now on the run depends on this process: a later session that finds it gone marks the run interrupted.
      void this.journal
        .append({ t: 'status', ts: Date.now(), status: 'RUNNING', pid: child.pid, host: hostname() })
        .catch(() => undefined);
    }
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      onOutput(text);
      log.write(text);
      if (this.spec.stdoutMetrics) {
        pending += text;
        const lines = pending.split(/\r?\n/);
        pending = lines.pop() ?? '';
        this.recordMetrics(lines);
      }
    });
    child.stderr?.on('data', (text: string) => {
      onOutput(text);
      log.write(text);
      for (const line of text.split(/\r?\n/)) {
        if (line.trim() === '') continue;
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
      }
    });
    child.on('error', (error) => {
      // The program could not be started (for example no such interpreter).
      this.fail(onOutput, log, error.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(this.stopTimer);
      if (pending && this.spec.stdoutMetrics) this.recordMetrics([pending]);
      const status: EndStatus = this.stopping ? 'KILLED' : code === 0 ? 'FINISHED' : 'FAILED';
      const error =
        status === 'FAILED'
          ? this.stderrTail.join('\n') || `exited with ${code === null ? `signal ${String(signal)}` : `code ${code}`}`
          : undefined;
      log.end(() => {
        void this.finish(status, code, error);
      });
    });
  }

  private fail(onOutput: (text: string) => void, log: NodeJS.WritableStream, message: string): void {
    const text = `Runlog could not start ${this.spec.command}: ${message}\n`;
    onOutput(text);
    log.end(text, () => {
      void this.finish('FAILED', null, text.trim());
    });
  }

  private recordMetrics(lines: readonly string[]): void {
    const parser = this.spec.stdoutMetrics;
    if (!parser) return;
    const ts = Date.now();
    const events = lines.flatMap((line) =>
      parser.parse(line).map((point) => {
        const step = point.step ?? this.stepCounters.get(point.key) ?? 0;
        this.stepCounters.set(point.key, step + 1);
        return { t: 'metric' as const, ts, key: point.key, value: point.value, step };
      }),
    );
    if (events.length > 0) void this.journal.append(...events).catch(() => undefined);
  }

  private finished = false;

  private async finish(status: EndStatus, exitCode: number | null, error: string | undefined): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      const file = join(this.journal.dir, 'artifacts', 'output.log');
      const [info, bytes] = await Promise.all([stat(file), readFile(file)]);
      await this.journal.append(
        {
          t: 'artifact',
          ts: Date.now(),
          path: 'output.log',
          size: info.size,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        },
        {
          t: 'run_end',
          ts: Date.now(),
          status,
          ...(exitCode !== null ? { exit_code: exitCode } : {}),
          ...(error ? { error } : {}),
        },
      );
    } finally {
      this.resolveExit({ status, exitCode });
    }
  }

  /** Asks the run to stop (SIGINT, as Ctrl+C would), and terminates it if it has not after the grace period. */
  stop(graceMs = STOP_GRACE_MS): void {
    const child = this.child;
    if (!child || child.exitCode !== null || this.stopping) return;
    this.stopping = true;
    child.kill(process.platform === 'win32' ? undefined : 'SIGINT');
    this.stopTimer = setTimeout(() => {
      child.kill('SIGTERM');
      this.stopTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    }, graceMs);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}
