// Entry of the `runlog` command (bundled to dist/cli.js, the package's bin):
//   runlog serve --dir <store folder> [--port N]
// serves the MLflow endpoint over a store without the editor, for a terminal or CI. It prints one
// line a shell can `export`, serves until SIGINT/SIGTERM, then saves the store and exits 0.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StoreService } from '../store/storeService';
import { MlflowEndpoint } from './server';
import { readsFromClient } from './storeReads';

const USAGE = 'usage: runlog serve --dir <store folder> [--port N]';

interface ServeArgs {
  readonly dir: string;
  readonly port: number;
}

export function parseArgs(argv: readonly string[]): ServeArgs | { error: string } {
  const [command, ...rest] = argv;
  if (command !== 'serve') return { error: command ? `unknown command "${command}"` : 'no command' };
  let dir: string | undefined;
  let port = 0;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = rest[i + 1];
    if (flag === '--dir' && value) dir = value;
    else if (flag === '--port' && value && /^\d+$/.test(value) && Number(value) <= 65535) port = Number(value);
    else return { error: `cannot read "${flag ?? ''}${value ? ` ${value}` : ''}"` };
    i++;
  }
  if (!dir) return { error: '--dir is required' };
  return { dir: resolve(dir), port };
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
    return `Runlog ${pkg.version ?? '?'} (runlog serve)`;
  } catch {
    return 'Runlog (runlog serve)';
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if ('error' in args) {
    process.stderr.write(`runlog: ${args.error}\n${USAGE}\n`);
    return 2;
  }
  const log = (level: string, message: string): void => {
    process.stderr.write(`[${level}] ${message}\n`);
  };
  const wasm = join(__dirname, 'sql-wasm.wasm');
  // The folder must exist for this process to take the store's lock and so save runlog.db.
  await mkdir(join(args.dir, 'runs'), { recursive: true });
  await writeFile(join(args.dir, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
  const service = await StoreService.start(
    // Beside the bundle in dist/; when run unbundled (tests), sql.js finds its own.
    { dir: args.dir, version: version(), ...(existsSync(wasm) ? { wasmFile: wasm } : {}) },
    { changed: () => undefined, log },
  );
  const endpoint = await MlflowEndpoint.start({
    storeDir: args.dir,
    reads: readsFromClient(service),
    port: args.port,
    log,
  });
  process.stdout.write(`MLFLOW_TRACKING_URI=${endpoint.uri} MLFLOW_TRACKING_TOKEN=${endpoint.token}\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await endpoint.close();
  await service.close();
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`runlog: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
