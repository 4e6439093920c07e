/**
 * A run's Python environment beside another: the interpreter a reproduction would use (read by
 * `python -m runlog.environment` in a child process, never on the extension host), or the
 * environment its reproduction recorded. And the run's environment as a `requirements.txt`.
 */
import { execFile } from 'node:child_process';
import type { RunEnvironment } from '../store/types';
import { clientPythonPath } from './launchPlan';

/** What an interpreter reports of itself: the fields of the `environment` event that matter here. */
export interface InterpreterEnvironment {
  readonly pythonVersion: string;
  readonly pythonImplementation: string | null;
  readonly executable: string | null;
  readonly packages: Readonly<Record<string, string>>;
}

/** A package installed in one environment at another version than in the other, or missing there. */
export interface PackageChange {
  readonly name: string;
  /** The version the run had (null: it had none). */
  readonly run: string | null;
  /** The version the other environment has (null: it has none). */
  readonly here: string | null;
}

/** How another environment differs from a run's. */
export interface EnvironmentDiff {
  /** The Python versions, when they differ. */
  readonly python: { readonly run: string; readonly here: string } | null;
  /** Packages the run had at another version, or that are missing here, by name. */
  readonly packages: readonly PackageChange[];
  /** How many packages are here that the run did not have (said, not warned about). */
  readonly added: number;
}

/** This client, bundled with the extension (PYTHONPATH) or pip-installed: not a difference that matters. */
const IGNORED = new Set(['runlog-client']);

/** Whether the environments differ in a way that may change results: the Python version or a package the run had. */
export function environmentsDiffer(diff: EnvironmentDiff): boolean {
  return diff.python !== null || diff.packages.length > 0;
}

export function environmentDiff(run: InterpreterEnvironment, here: InterpreterEnvironment): EnvironmentDiff {
  const packages: PackageChange[] = [];
  for (const [name, version] of Object.entries(run.packages)) {
    if (IGNORED.has(name)) continue;
    const now = here.packages[name] ?? null;
    if (now !== version) packages.push({ name, run: version, here: now });
  }
  const added = Object.keys(here.packages).filter((name) => !IGNORED.has(name) && !(name in run.packages)).length;
  return {
    python: run.pythonVersion === here.pythonVersion ? null : { run: run.pythonVersion, here: here.pythonVersion },
    packages: packages.sort((a, b) => a.name.localeCompare(b.name)),
    added,
  };
}

/**
 * The differences in a sentence, `run` naming the run's side: "Python 3.12.1 (bright-owl had
 * 3.11.2); numpy 1.26.4 (bright-owl had 1.24.2), torch not installed (bright-owl had 2.1.0) and 3
 * more packages".
 */
export function environmentDiffText(diff: EnvironmentDiff, run: string, shown = 5): string {
  const parts: string[] = [];
  if (diff.python) parts.push(`Python ${diff.python.here} (${run} had ${diff.python.run})`);
  const change = (c: PackageChange): string => `${c.name} ${c.here ?? 'not installed'} (${run} had ${c.run ?? 'none'})`;
  const listed = diff.packages.slice(0, shown).map(change);
  const more = diff.packages.length - listed.length;
  if (listed.length > 0) {
    parts.push(listed.join(', ') + (more > 0 ? ` and ${more} more package${more === 1 ? '' : 's'}` : ''));
  }
  return parts.join('; ');
}

/** Reads what `python -m runlog.environment` printed; throws with the reason when it is not that. */
export function parseInterpreterEnvironment(text: string): InterpreterEnvironment {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`it printed no JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (typeof value !== 'object' || value === null) throw new Error('it printed no JSON object');
  const fields = value as Record<string, unknown>;
  const packages = fields['packages'];
  if (typeof fields['python_version'] !== 'string' || typeof packages !== 'object' || packages === null) {
    throw new Error('its JSON has no python_version or packages');
  }
  const versions: Record<string, string> = {};
  for (const [name, version] of Object.entries(packages)) if (typeof version === 'string') versions[name] = version;
  const optional = (key: string): string | null => (typeof fields[key] === 'string' ? fields[key] : null);
  return {
    pythonVersion: fields['python_version'],
    pythonImplementation: optional('python_implementation'),
    executable: optional('executable'),
    packages: versions,
  };
}

export interface InterpreterProbe {
  /** The interpreter a launch would use. */
  readonly python: string;
  /** The extension's `python/` folder: the bundled client, first on PYTHONPATH as for a launched run. */
  readonly clientPath: string;
  readonly cwd: string;
  /** The environment it inherits (the extension host's). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly timeoutMs?: number;
}

/** The output of `runlog.environment` for a few hundred packages is a few tens of KB. */
const MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * What the interpreter has installed: `<python> -m runlog.environment` with the bundled client on
 * PYTHONPATH, in a child process (importlib.metadata takes tens of milliseconds per hundred
 * packages, Python's start longer). Rejects with the reason: no such interpreter, a timeout, output
 * that is not the environment.
 */
export function readInterpreterEnvironment(probe: InterpreterProbe): Promise<InterpreterEnvironment> {
  const env = { ...probe.env, PYTHONPATH: clientPythonPath(probe.clientPath, probe.env['PYTHONPATH'], probe.platform) };
  return new Promise((resolve, reject) => {
    execFile(
      probe.python,
      ['-m', 'runlog.environment'],
      { cwd: probe.cwd, env, timeout: probe.timeoutMs ?? 60_000, maxBuffer: MAX_OUTPUT, windowsHide: true },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed ? 'it took too long' : stderr.trim().split('\n').at(-1) || error.message;
          reject(new Error(`${probe.python} -m runlog.environment failed: ${why}`));
          return;
        }
        try {
          resolve(parseInterpreterEnvironment(stdout));
        } catch (parseError) {
          reject(new Error(`${probe.python} -m runlog.environment: ${(parseError as Error).message}`));
        }
      },
    );
  });
}

/** PEP 508 names, and versions of PEP 440's characters: nothing else goes into a requirements file. */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9.+!_-]*$/;

/**
 * The run's environment as pip's `requirements.txt`: a `name==version` line per installed
 * distribution, sorted, after comments naming the run and its Python. This client (not on a package
 * index: pip installs it from the extension) is left out, as `log_model`'s requirements leave it
 * out. A name or version a journal could carry that is not one (a line break, `--index-url`) is
 * never written: pip would read it as an option; the count of those left out is a comment.
 */
export function requirementsText(run: { readonly id: string; readonly name: string }, env: RunEnvironment): string {
  const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ');
  const python = `${env.pythonVersion}${env.pythonImplementation ? ` (${env.pythonImplementation})` : ''}`;
  const lines = [
    `# The Python environment of run ${oneLine(run.name)} (${run.id}), as Runlog recorded it.`,
    `# Python ${oneLine(python)}${env.platform ? ` on ${oneLine(env.platform)}` : ''}`,
  ];
  if (env.gpu?.cudaVersion) lines.push(`# CUDA ${oneLine(env.gpu.cudaVersion)}`);
  const kept: string[] = [];
  let skipped = 0;
  for (const [name, version] of Object.entries(env.packages).sort(([a], [b]) => a.localeCompare(b))) {
    if (IGNORED.has(name)) continue;
    if (NAME.test(name) && VERSION.test(version)) kept.push(`${name}==${version}`);
    else skipped++;
  }
  if (skipped > 0) lines.push(`# ${skipped} recorded name(s) or version(s) left out: not valid for pip`);
  return `${[...lines, ...kept].join('\n')}\n`;
}
