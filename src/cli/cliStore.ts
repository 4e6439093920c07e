/**
 * Which store a command reads, and opening it the way a second editor window does: as a reader.
 * The database snapshot (`runlog.db`, when a writer saved one) is loaded and the journals written
 * since are replayed in memory; the lock is not taken, so a running editor keeps saving and the CLI
 * runs beside it, or on a read-only copy. One exception (`saveIfSlow`): when catching up took long
 * (a CI store no editor ever saved) and no process holds the lock, the CLI saves the snapshot it
 * built, as an editor window taking over the lock would, so the next command starts fast.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { StoreLock } from '../store/lock';
import { NewerStoreError } from '../store/schema';
import { RunStore } from '../store/runStore';
import { DEFAULT_STORE_DIR } from '../store/storeLocation';
import { CliError, EXIT, missing } from './errors';

export interface StoreChoice {
  readonly dir: string;
  /** How it was chosen, for messages: `--dir`, `RUNLOG_DIR`, or the folder it was found above. */
  readonly how: string;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The nearest `.runlog/` in `cwd` or a folder above it: the rule the Python client uses. */
export function findStoreUpward(cwd: string): string | undefined {
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    const candidate = join(folder, DEFAULT_STORE_DIR);
    if (isFolder(candidate)) return candidate;
    if (dirname(folder) === folder) return undefined;
  }
}

/**
 * `--dir` when given, else `RUNLOG_DIR` (what a training script in the same job logs to), else the
 * nearest `.runlog/` upward. A store that is not there is "missing" (exit 3), with what was tried.
 */
export function chooseStore(dirFlag: string | undefined, cwd: string, env: NodeJS.ProcessEnv): StoreChoice {
  if (dirFlag !== undefined) {
    const dir = isAbsolute(dirFlag) ? dirFlag : resolve(cwd, dirFlag);
    if (!isFolder(dir)) throw missing(`no store at ${dir} (--dir): the folder does not exist`);
    return { dir, how: '--dir' };
  }
  const configured = env['RUNLOG_DIR'];
  if (configured) {
    const dir = resolve(cwd, configured);
    if (!isFolder(dir)) throw missing(`no store at ${dir} (RUNLOG_DIR): the folder does not exist`);
    return { dir, how: 'RUNLOG_DIR' };
  }
  const found = findStoreUpward(cwd);
  if (!found) {
    throw missing(
      `no Runlog store: no ${DEFAULT_STORE_DIR}/ folder in ${resolve(cwd)} or above it (name one with --dir, or set RUNLOG_DIR)`,
    );
  }
  return { dir: found, how: `found above ${resolve(cwd)}` };
}

export interface OpenOptions {
  readonly version: string;
  readonly wasmFile?: string;
  /** Journal problems the store reports while reading (unreadable lines); the CLI passes them on or not. */
  readonly log?: (message: string) => void;
}

/** `sql-wasm.wasm` beside the bundle (dist/), when there is one there. */
export function bundledWasm(bundleDir: string): string | undefined {
  const wasm = join(bundleDir, 'sql-wasm.wasm');
  return existsSync(wasm) ? wasm : undefined;
}

/** Opens the store as a reader: the snapshot, then an in-memory catch-up of the journals. */
export async function openStore(dir: string, options: OpenOptions): Promise<RunStore> {
  try {
    return await RunStore.open({
      dir,
      writer: false,
      version: options.version,
      ...(options.wasmFile ? { wasmFile: options.wasmFile } : {}),
      log: options.log ?? (() => undefined),
    });
  } catch (error) {
    if (error instanceof NewerStoreError) throw new CliError(error.message, EXIT.error);
    throw new CliError(`could not read the store ${dir}: ${(error as Error).message}`, EXIT.error);
  }
}

/** Catching up for this long (ms) is worth saving for the next command. */
export const SAVE_AFTER_MS = 1_000;

/**
 * Saves the in-memory catch-up as `runlog.db` when it was slow to build and the lock is free: only
 * then does no editor write the store. Takes the lock for the save and gives it back. A store that
 * cannot be written (read-only, full) stays as it was; the next command replays again.
 */
export async function saveIfSlow(
  store: RunStore,
  dir: string,
  openedMs: number,
  afterMs = SAVE_AFTER_MS,
): Promise<boolean> {
  if (!store.hasUnsavedChanges || openedMs < afterMs) return false;
  const lock = await StoreLock.tryAcquire(dir).catch(() => undefined);
  if (!lock) return false;
  try {
    store.setWriter(true);
    return await store.snapshot();
  } catch {
    return false;
  } finally {
    store.setWriter(false);
    await lock.release().catch(() => undefined);
  }
}
