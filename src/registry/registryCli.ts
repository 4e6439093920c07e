import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { clientPythonPath } from '../runs/launchPlan';

/**
 * The editor changes the registry through the Python client's command line
 * (`python -m runlog.registry`), never by appending to the registry journal itself: the client
 * takes the registry lock and numbers versions the way a script registering at the same moment
 * would see them (Node has no `flock`).
 */
export interface PythonClient {
  /** The interpreter. */
  readonly python: string;
  /** The folder holding the `runlog` package (the extension's `python/`). */
  readonly clientPath: string;
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    message: string,
    /** The command's exit code: 1 a refused change, 3 an alias someone moved first (`--current`). */
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

/** `set-alias --current` found the alias moved by another process (python -m runlog.registry). */
export const ALIAS_MOVED = 3;

const TIMEOUT_MS = 30_000;

function env(client: PythonClient, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const pythonPath = clientPythonPath(client.clientPath, process.env['PYTHONPATH'], process.platform);
  return { ...process.env, PYTHONPATH: pythonPath, PYTHONIOENCODING: 'utf-8', ...extra };
}

/** Runs one registry command; resolves with its JSON answer, rejects with the client's reason. */
export function runRegistry(client: PythonClient, storeDir: string, args: readonly string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(client.python, ['-m', 'runlog.registry', '--store', storeDir, ...args], {
      env: env(client),
      windowsHide: true,
      timeout: TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
    child.on('error', (error) => reject(new RegistryError(`could not start ${client.python}: ${error.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        const line = stderr.trim().split('\n').pop() ?? '';
        reject(
          new RegistryError(
            line.replace(/^runlog\.registry: /, '') || `exited with code ${String(code)}`,
            code ?? undefined,
          ),
        );
        return;
      }
      try {
        resolve(JSON.parse(stdout) as unknown);
      } catch {
        reject(new RegistryError(`answered with something that is not JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

/** MLflow's alias rule: letters, digits, `_` and `-`; not `latest`, not `v<digits>` (they read as versions). */
export function aliasProblem(alias: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(alias)) return 'an alias is letters, digits, "_" and "-" (at most 255)';
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) return `"${alias}" would read as a version`;
  return undefined;
}

export function versionUri(name: string, version: number): string {
  return `models:/${name}/${version}`;
}

/** The line `python -m runlog.serve` prints once it listens. */
const SERVING = /^Serving \S+ at (http:\/\/\S+)\s*$/m;

/**
 * A local scoring server for a model (`python -m runlog.serve`, standard library only, bound to
 * 127.0.0.1 on a free port). `url` resolves once it listens and rejects if it exits first.
 */
export class ModelServer {
  readonly url: Promise<string>;
  private readonly child: ChildProcess;
  private output = '';
  private readonly exitedPromise: Promise<number | null>;

  constructor(
    client: PythonClient,
    storeDir: string,
    modelUri: string,
    private readonly onOutput: (text: string) => void,
  ) {
    this.child = spawn(
      client.python,
      ['-u', '-m', 'runlog.serve', '--model', modelUri, '--store', storeDir, '--port', '0'],
      { env: env(client), windowsHide: true },
    );
    this.exitedPromise = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
    this.url = new Promise((resolve, reject) => {
      const seen = (data: Buffer): void => {
        const text = data.toString('utf8');
        this.output += text;
        this.onOutput(text);
        const match = SERVING.exec(this.output);
        if (match?.[1]) resolve(match[1]);
      };
      this.child.stdout?.on('data', seen);
      this.child.stderr?.on('data', seen);
      this.child.on('error', (error) =>
        reject(new RegistryError(`could not start ${client.python}: ${error.message}`)),
      );
      void this.exitedPromise.then((code) => {
        const reason = this.output
          .trim()
          .split('\n')
          .pop()
          ?.replace(/^runlog\.serve: /, '');
        reject(new RegistryError(reason || `the server exited with code ${String(code)}`));
      });
    });
    this.url.catch(() => undefined);
  }

  get exited(): Promise<number | null> {
    return this.exitedPromise;
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}
