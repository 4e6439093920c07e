import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomicFile';
import { NewerStoreError, migrate } from './schema';
import { Db } from './sqlite';
import { DB_FILE, RUNS_DIR } from './storeLocation';

export interface DatabaseOptions {
  /** The store folder (`.runlog/`). */
  readonly dir: string;
  /** Only the writer (the lock holder) moves an unreadable database aside; a reader leaves it be. */
  readonly writer: boolean;
  /** Written into the database, so a newer store can say which Runlog wrote it. */
  readonly version: string;
  readonly wasmFile?: string;
  readonly log: (message: string) => void;
}

export interface OpenedDatabase {
  readonly db: Db;
  /** Where a corrupt database was moved aside, when it was. */
  readonly recoveredFrom: string | undefined;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Opens `runlog.db` into memory, migrated to this version's schema, or an empty database when there
 * is none. One that cannot be read (corrupt, a folder, no permission) is as good as none, since the
 * journals rebuild it: the writer moves it aside to `runlog.db.corrupt-<time>`. A database written
 * by a newer Runlog is not touched: `NewerStoreError`.
 */
export async function openDatabase(options: DatabaseOptions): Promise<OpenedDatabase> {
  const { log } = options;
  const file = join(options.dir, DB_FILE);
  let data: Uint8Array | undefined;
  let unreadable: string | undefined;
  try {
    data = await readFile(file);
  } catch (error) {
    // A folder or a file we may not read where the database should be: as bad as a corrupt one.
    if (!isMissing(error)) unreadable = error instanceof Error ? error.message : String(error);
  }
  let db: Db | undefined;
  if (data && data.length > 0) {
    try {
      db = await Db.open(data, options.wasmFile);
      const check = db.get<{ quick_check: string }>('PRAGMA quick_check(1)');
      if (check?.quick_check !== 'ok') throw new Error(`integrity check: ${check?.quick_check ?? 'no answer'}`);
      migrate(db, options.version);
    } catch (error) {
      db?.close();
      db = undefined;
      if (error instanceof NewerStoreError) throw error;
      unreadable = error instanceof Error ? error.message : String(error);
    }
  }
  let recoveredFrom: string | undefined;
  if (unreadable !== undefined) {
    if (options.writer) {
      const aside = join(options.dir, `${DB_FILE}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      try {
        await rename(file, aside);
        recoveredFrom = aside;
        log(
          `The run database was unreadable (${unreadable}); moved it to ${aside} and rebuilt it from the run journals.`,
        );
      } catch (error) {
        log(
          `The run database is unreadable (${unreadable}) and could not be moved aside (${(error as Error).message}); reading the run journals instead.`,
        );
      }
    } else {
      log(`The run database is unreadable (${unreadable}); reading the run journals instead.`);
    }
  }
  if (!db) {
    db = await Db.open(undefined, options.wasmFile);
    migrate(db, options.version);
  }
  return { db, recoveredFrom };
}

/**
 * Writes a database image to `runlog.db` atomically (temp file, fsync, rename, fsync folder). The
 * store folder is created first, with a `.gitignore` of `*`, so runs never slip into the user's git
 * history.
 */
export async function saveDatabase(dir: string, image: Uint8Array): Promise<void> {
  await mkdir(join(dir, RUNS_DIR), { recursive: true });
  try {
    await writeFile(join(dir, '.gitignore'), '*\n', { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  await writeFileAtomic(join(dir, DB_FILE), image);
}
