/**
 * `runlog serve --dir <store folder> [--port N]` serves the MLflow endpoint over a store without
 * the editor, for a terminal or CI. It prints one line a shell can `export`, serves until
 * SIGINT/SIGTERM, then saves the store and exits 0. Unlike the read-only commands it runs the store
 * as the editor does (StoreService: it takes the lock when free, and saves runlog.db).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MlflowEndpoint } from '../mlflow/server';
import { readsFromClient } from '../mlflow/storeReads';
import { StoreService } from '../store/storeService';
import type { CommandSpec, ParsedArgs } from './args';
import { flag, usageError } from './args';
import type { CliContext, Command } from './context';
import { EXIT } from './errors';

const spec: CommandSpec = {
  name: 'serve',
  summary: "Serve MLflow's tracking REST API over a store on 127.0.0.1, for unmodified mlflow code.",
  usage: ['runlog serve --dir <store folder> [--port N]'],
  positionals: { name: 'argument', min: 0, max: 0 },
  flags: [
    { name: 'dir', value: 'STORE', help: 'the store folder (created when missing)' },
    { name: 'port', value: 'N', help: 'the port (default: a free one)' },
  ],
  details: [
    'Prints MLFLOW_TRACKING_URI=… MLFLOW_TRACKING_TOKEN=… on one line, serves until Ctrl+C or SIGTERM, then saves',
    'the store and exits 0.',
  ],
};

export interface ServeArgs {
  readonly dir: string;
  readonly port: number;
}

export function serveArgs(args: ParsedArgs, cwd: string): ServeArgs {
  const dir = flag(args, 'dir');
  if (!dir) throw usageError(spec, '--dir is required');
  const portText = flag(args, 'port') ?? '0';
  if (!/^\d+$/.test(portText) || Number(portText) > 65535)
    throw usageError(spec, `--port takes 0–65535, not "${portText}"`);
  return { dir: resolve(cwd, dir), port: Number(portText) };
}

async function run(parsed: ParsedArgs, context: CliContext): Promise<number> {
  const args = serveArgs(parsed, context.cwd);
  const log = (level: string, message: string): void => context.err(`[${level}] ${message}\n`);
  // The folder must exist for this process to take the store's lock and so save runlog.db.
  await mkdir(join(args.dir, 'runs'), { recursive: true });
  await writeFile(join(args.dir, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
  const service = await StoreService.start(
    {
      dir: args.dir,
      version: `${context.version} (runlog serve)`,
      ...(context.wasmFile ? { wasmFile: context.wasmFile } : {}),
    },
    { changed: () => undefined, log },
  );
  const endpoint = await MlflowEndpoint.start({
    storeDir: args.dir,
    reads: readsFromClient(service),
    port: args.port,
    log,
  });
  context.out(`MLFLOW_TRACKING_URI=${endpoint.uri} MLFLOW_TRACKING_TOKEN=${endpoint.token}\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await endpoint.close();
  await service.close();
  return EXIT.ok;
}

export const serveCommand: Command = { spec, run };
