// Processes the fault suite starts and talks to: `runlog serve` (the endpoint as users run it, from
// the transpiled sources), Python scripts using the client, and raw HTTP requests to them.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
export const PYTHON_CLIENT = join(ROOT, 'python');
const CLI = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const INJECT = join(__dirname, 'inject.js');

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Faults injected into a Node process at its file-system layer (inject.ts). */
export interface Injection {
  /** Writes fail with ENOSPC once this many bytes were written under `dir`. */
  readonly enospcAfter?: number;
  /** Every open for writing under `dir` fails with EROFS. */
  readonly readOnly?: boolean;
  readonly dir: string;
}

/** A `runlog serve` process over a store. */
export class Endpoint {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly token: string,
    readonly stderr: string[],
  ) {}

  static start(dir: string, inject?: Injection): Promise<Endpoint> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    const args = [CLI, 'serve', '--dir', dir];
    if (inject) {
      env['RUNLOG_FAULT_DIR'] = inject.dir;
      if (inject.enospcAfter !== undefined) env['RUNLOG_FAULT_ENOSPC_AFTER'] = String(inject.enospcAfter);
      if (inject.readOnly) env['RUNLOG_FAULT_READ_ONLY'] = '1';
      args.unshift('--require', INJECT);
    }
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    child.stderr?.on('data', (text: Buffer) => stderr.push(text.toString()));
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (text: Buffer) => {
        out += text.toString();
        const match = /MLFLOW_TRACKING_URI=http:\/\/127\.0\.0\.1:(\d+) MLFLOW_TRACKING_TOKEN=(\S+)/.exec(out);
        if (match) resolve(new Endpoint(child, Number(match[1]), match[2] ?? '', stderr));
      });
      child.once('exit', (code) => reject(new Error(`runlog serve exited ${code}: ${stderr.join('')}`)));
    });
  }

  /** A request; a connection the server drops (it was killed) comes back as status 0. */
  call(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<Reply> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          headers: {
            Host: `127.0.0.1:${this.port}`,
            Authorization: `Bearer ${this.token}`,
            ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
            } catch {
              // not JSON (a download)
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', () => resolve({ status: 0, body: {} }));
        },
      );
      req.on('error', () => resolve({ status: 0, body: {} }));
      req.end(payload);
    });
  }

  post(name: string, body: unknown): Promise<Reply> {
    return this.call(`/api/2.0/mlflow/${name}`, body);
  }

  async createRun(): Promise<string> {
    const reply = await this.post('runs/create', { experiment_id: '0' });
    const id = (reply.body['run'] as { info?: { run_id?: string } } | undefined)?.info?.run_id;
    if (reply.status !== 200 || !id) throw new Error(`runs/create: ${reply.status} ${JSON.stringify(reply.body)}`);
    return id;
  }

  /** How many descriptors the process holds (Linux), or undefined. */
  descriptors(): number | undefined {
    const dir = `/proc/${this.child.pid}/fd`;
    return existsSync(dir) ? readdirSync(dir).length : undefined;
  }

  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}

export interface PythonResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a Python script with the client importable; `env` adds RUNLOG_DIR and the like. */
export function python(script: string, env: Record<string, string> = {}, timeoutMs = 120_000): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script], {
      env: { ...process.env, PYTHONPATH: PYTHON_CLIENT, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (t: Buffer) => (stdout += t.toString()));
    child.stderr.on('data', (t: Buffer) => (stderr += t.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
