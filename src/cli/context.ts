/**
 * What a command gets from the process that runs it, as plain values: where it runs, its
 * environment and output streams. `main.ts` fills it from `process`; tests fill it themselves and
 * run commands in-process.
 */
import type { CommandSpec, FlagSpec, ParsedArgs } from './args';
import { flag } from './args';
import { SAVE_AFTER_MS, chooseStore, openStore, saveIfSlow } from './cliStore';
import type { StoreReads } from './runNames';
import { storeReads } from './runNames';

export interface CliContext {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Whether stdout takes colors (a terminal, NO_COLOR unset). */
  readonly color: boolean;
  /** `Runlog 0.1.0`: recorded by the store's format marker; said by `--version`. */
  readonly version: string;
  readonly wasmFile?: string;
  /** The folder that holds the Python client's `runlog` package, for registry changes. */
  readonly clientPath?: string;
  /** A catch-up this slow (ms) is saved as runlog.db when no process holds the lock (cliStore.ts). */
  readonly saveAfterMs?: number;
  /** One line of progress that replaces the last (stderr on a terminal; absent otherwise). '' clears it. */
  readonly progress?: (line: string) => void;
}

export interface Command {
  readonly spec: CommandSpec;
  run(args: ParsedArgs, context: CliContext): Promise<number>;
}

export const DIR_FLAG: FlagSpec = {
  name: 'dir',
  value: 'STORE',
  help: 'the store folder (default: RUNLOG_DIR, else the nearest .runlog/ in this folder or above)',
};

export function formatFlag(formats: readonly string[], what = 'output format'): FlagSpec {
  return { name: 'format', value: 'FORMAT', choices: formats, help: `${what} (default ${formats[0]})` };
}

/**
 * Opens the store the command names (or finds), runs `body` with it, and closes it. Journal lines
 * the store could not read are counted on stderr, never mixed into the output.
 */
export async function withStore<T>(
  args: ParsedArgs,
  context: CliContext,
  body: (store: StoreReads, dir: string) => Promise<T> | T,
): Promise<T> {
  const choice = chooseStore(flag(args, 'dir'), context.cwd, context.env);
  let problems = 0;
  const started = Date.now();
  const store = await openStore(choice.dir, {
    version: context.version,
    ...(context.wasmFile ? { wasmFile: context.wasmFile } : {}),
    log: () => problems++,
  });
  const openedMs = Date.now() - started;
  try {
    return await body(storeReads(store), choice.dir);
  } finally {
    await saveIfSlow(store, choice.dir, openedMs, context.saveAfterMs ?? SAVE_AFTER_MS);
    store.close();
    if (problems > 0) {
      context.err(
        `runlog: ${problems} journal problem${problems === 1 ? '' : 's'} in ${choice.dir} (unreadable lines are skipped; runlog show RUN lists a run's)\n`,
      );
    }
  }
}
