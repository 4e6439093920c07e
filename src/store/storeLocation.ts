import { isAbsolute, join, resolve } from 'node:path';

export const DEFAULT_STORE_DIR = '.runlog';

/**
 * Inside a store: `runs/<run id>/events.jsonl`, `registry/events.jsonl`, `models/events.jsonl` (MLflow 3's
 * logged models, each with its files in `models/<model id>/artifacts/`), and the database `runlog.db`.
 */
export const RUNS_DIR = 'runs';
export const REGISTRY_DIR = 'registry';
export const MODELS_DIR = 'models';
export const JOURNAL_FILE = 'events.jsonl';
export const DB_FILE = 'runlog.db';
/** The runs' chunk files (chunkFiles.ts). */
export const CHUNKS_DIR = 'chunks';
/** A run id, and so the name of its folder (docs/JOURNAL.md). */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Where a workspace folder's store lives: `runlog.storeDir` relative to the folder, or absolute.
 * An empty or blank setting means the default.
 */
export function resolveStoreDir(workspaceFolder: string, setting: string | undefined): string {
  const configured = setting?.trim() ? setting.trim() : DEFAULT_STORE_DIR;
  return isAbsolute(configured) ? resolve(configured) : resolve(join(workspaceFolder, configured));
}
