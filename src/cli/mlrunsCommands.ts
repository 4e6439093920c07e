/**
 * `runlog export --to-mlruns DIR [RUN…]` and `runlog import --from-mlruns DIR`: the editor's MLflow
 * import and export (`src/mlruns/`), with the same summaries, from the terminal.
 */
import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { exportMlruns } from '../mlruns/mlrunsExport';
import { importMlruns } from '../mlruns/mlrunsImport';
import { exportSummaryText, importSummaryText } from '../mlruns/mlrunsSummary';
import { DEFAULT_STORE_DIR } from '../store/storeLocation';
import type { CommandSpec, ParsedArgs } from './args';
import { flag, usageError } from './args';
import { findStoreUpward } from './cliStore';
import type { CliContext, Command } from './context';
import { DIR_FLAG, withStore } from './context';
import { CliError, EXIT, missing } from './errors';
import { resolveRun } from './runNames';

const exportSpec: CommandSpec = {
  name: 'export',
  summary: "Write runs as an MLflow file store (mlruns/) that MLflow's own tools read.",
  usage: ['runlog export --to-mlruns DIR [RUN…]'],
  positionals: { name: 'RUN', min: 0, max: 100_000 },
  flags: [
    { name: 'to-mlruns', value: 'DIR', help: 'the mlruns/ folder to write into (created when missing)' },
    { name: 'filter', value: 'EXPR', help: 'without RUNs: only the runs that match this filter' },
    DIR_FLAG,
  ],
  details: [
    'Without RUN, every run in the store (not in the trash) that matches --filter. Runs the target already holds',
    'are skipped. Exit 1 when some run could not be exported (each is named on stderr).',
  ],
};

async function exportRun(args: ParsedArgs, context: CliContext): Promise<number> {
  const target = flag(args, 'to-mlruns');
  if (!target) throw usageError(exportSpec, '--to-mlruns DIR is required');
  const filter = flag(args, 'filter')?.trim() || undefined;
  const { dir, runIds } = await withStore(args, context, (store, storeDir) => ({
    dir: storeDir,
    runIds:
      args.positionals.length > 0
        ? [...new Set(args.positionals.map((name) => resolveRun(store, name, filter).run.id))]
        : store
            .listRuns({ ...(filter ? { filter } : {}), sort: { key: 'start_time', descending: false } })
            .runs.map((r) => r.id),
  }));
  const folder = resolve(context.cwd, target);
  const summary = await exportMlruns(dir, runIds, folder);
  for (const line of [...summary.failed, ...summary.warnings]) context.err(`runlog: ${line}\n`);
  context.out(`${exportSummaryText(summary, folder)}\n`);
  return summary.failed.length > 0 ? EXIT.failed : EXIT.ok;
}

const importSpec: CommandSpec = {
  name: 'import',
  summary:
    'Read an MLflow file store (mlruns/) into the Runlog store: every run with its metrics, params, tags, artifacts.',
  usage: ['runlog import --from-mlruns DIR'],
  positionals: { name: 'argument', min: 0, max: 0 },
  flags: [
    { name: 'from-mlruns', value: 'DIR', help: 'the mlruns/ folder (or the project folder that holds it)' },
    DIR_FLAG,
  ],
  details: [
    'Runs the store already has are skipped, so importing again adds only new ones. Without --dir and RUNLOG_DIR',
    'the store is the nearest .runlog/ above, else a new one at the top of the git work tree, else here.',
    'Exit 1 when some run could not be read (each is named on stderr); the rest is imported.',
  ],
};

const exec = promisify(execFile);

/** Where a new store goes: the top of the git work tree, else here (the Python client's rule). */
export async function newStoreDir(cwd: string): Promise<string> {
  try {
    const { stdout } = await exec('git', ['rev-parse', '--show-toplevel'], { cwd });
    const top = stdout.trim();
    if (top) return join(top, DEFAULT_STORE_DIR);
  } catch {
    // Not a repository, or no git: the current folder.
  }
  return join(resolve(cwd), DEFAULT_STORE_DIR);
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

async function importRun(args: ParsedArgs, context: CliContext): Promise<number> {
  const sourceFlag = flag(args, 'from-mlruns');
  if (!sourceFlag) throw usageError(importSpec, '--from-mlruns DIR is required');
  const source = resolve(context.cwd, sourceFlag);
  const configured = flag(args, 'dir') ?? (context.env['RUNLOG_DIR'] || undefined);
  const dir =
    configured !== undefined
      ? resolve(context.cwd, configured)
      : (findStoreUpward(context.cwd) ?? (await newStoreDir(context.cwd)));
  if (!(await isFolder(source))) throw missing(`no MLflow store at ${source}: the folder does not exist`);
  let summary;
  try {
    await mkdir(dir, { recursive: true });
    summary = await importMlruns(source, dir);
  } catch (error) {
    const message = (error as Error).message;
    // findRuns' word for a folder without experiments: nothing to import there.
    if (/does not look like an MLflow store/.test(message)) throw missing(message);
    throw new CliError(`could not import ${source}: ${message}`, EXIT.error);
  }
  for (const line of [...summary.unreadable, ...summary.warnings]) context.err(`runlog: ${line}\n`);
  context.out(`${importSummaryText(summary)} into ${dir}\n`);
  return summary.unreadable.length > 0 ? EXIT.failed : EXIT.ok;
}

export const exportCommand: Command = { spec: exportSpec, run: exportRun };
export const importCommand: Command = { spec: importSpec, run: importRun };
