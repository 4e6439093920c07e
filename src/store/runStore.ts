import { ChunkFiles } from './chunkFiles';
import type { CompactOptions, CompactOutcome } from './compaction';
import { ADOPTED, NOT_WORTH_IT, adoptCompacted, compactSteps, unadoptedRuns } from './compaction';
import { RECOMPACT_POINTS, pointsOutside, pushedStates, sealedRuns, syncUnderWay } from './sealedRuns';
import { processAlive } from './lock';
import { openDatabase, saveDatabase } from './databaseFile';
import type { SyncResult } from './journalSync';
import { recoverMoves } from './journalMove';
import { JournalSync } from './journalSync';
import type { Db } from './sqlite';
import type { QueryArgs, QueryName, QueryResult } from './storeQueries';
import { runQuery } from './storeQueries';
import { moveChunksToFiles } from './metrics';
import { removeStaleTemp } from './storeTemp';

export interface StoreOptions {
  /** The store folder (`.runlog/`). */
  readonly dir: string;
  /** Whether this process writes `runlog.db` (it holds the lock); readers never touch the file. */
  readonly writer: boolean;
  /** Written into the database, so a newer store can say which Runlog wrote it. */
  readonly version: string;
  readonly wasmFile?: string;
  readonly log?: (message: string) => void;
}

/** One turn of compaction (RunStore.compactNext). */
export interface CompactTurn extends CompactOptions {
  readonly isAlive?: (pid: number) => boolean;
  readonly host?: string;
  /** Runs looked at already in this pass (added to): skipped. */
  readonly skip?: Set<string>;
}

/**
 * The run store: an in-memory sql.js database fed from the run journals, persisted by atomic
 * snapshots. The journals are the write-ahead log: the database records how far it has read each
 * one, and `open` replays whatever the snapshot lacks. Its rooms: databaseFile.ts (opening, a
 * corrupt file moved aside, snapshots), journalSync.ts (replay), and the queries (storeQueries.ts).
 * No SQL lives outside src/store/.
 */
export class RunStore {
  private dirty = false;
  private writer: boolean;
  /** Where moveChunksOut goes on from (series id, seq), and whether it moved any since the last VACUUM. */
  private moveFrom: [number, number] = [0, -1];
  private moved = false;

  private constructor(
    private readonly db: Db,
    private readonly files: ChunkFiles,
    private readonly journals: JournalSync,
    private readonly options: StoreOptions,
    /** Where a corrupt database was moved aside, when it was. */
    readonly recoveredFrom: string | undefined,
  ) {
    this.writer = options.writer;
  }

  /** Whether this process may write `runlog.db` (it holds the lock). Changes when the lock does. */
  get isWriter(): boolean {
    return this.writer;
  }

  setWriter(writer: boolean): void {
    this.writer = writer;
    this.files.setWritable(writer);
    this.moveFrom = [0, -1];
  }

  /**
   * Moves up to `limit` full chunks still kept in rows (a database from before schema 6, or what
   * this process replayed while it only read) to the chunk files; once none are left, compacts the
   * database so the next snapshot and open shrink too. Returns whether there may be more. Writer only.
   */
  moveChunksOut(limit = 256): boolean {
    if (!this.writer) return false;
    const next = moveChunksToFiles(this.db, this.moveFrom, limit);
    if (next) {
      this.moveFrom = next;
      this.moved = this.dirty = true;
      return true;
    }
    if (this.moved) {
      this.moved = false;
      this.db.exec('VACUUM');
    }
    return false;
  }

  /**
   * Compacts the journal of the next sealed run (compaction.ts), synchronously. Writer only. Returns
   * the run and what happened to it, or undefined when no sealed run is left to look at.
   */
  compactNext(options: CompactTurn): { runId: string; outcome: CompactOutcome } | undefined {
    const steps = this.compactTurn(options);
    for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
  }

  /**
   * `compactNext` in steps (compaction.ts `compactSteps`): it yields after each piece of the journal
   * it reads, so the caller can answer queries and read journals between them; the last step, which
   * replaces the journal and tells the database, checks that the database still has read it whole.
   */
  *compactTurn(options: CompactTurn): Generator<undefined, { runId: string; outcome: CompactOutcome } | undefined> {
    if (!this.writer) return undefined;
    const isAlive = options.isAlive ?? processAlive;
    if (syncUnderWay(this.options.dir, isAlive)) return undefined;
    for (const runId of sealedRuns(this.db, { isAlive, ...(options.host ? { host: options.host } : {}) })) {
      if (options.skip?.has(runId)) continue;
      const read = this.db.get<{ offset: number; generation: string }>(
        'SELECT offset, generation FROM journals WHERE run_id = ?',
        [runId],
      );
      const pushed = pushedStates(this.options.dir, runId, read?.offset ?? -1, read?.generation);
      if (!pushed) {
        options.skip?.add(runId);
        continue;
      }
      let outcome: CompactOutcome;
      try {
        // Compacted before: rewritten again only for enough points outside its points file; else its
        // chunks are pointed at its lines (a database that read it again) and it is left as it is.
        if (read?.generation && pointsOutside(this.db, this.options.dir, runId) < RECOMPACT_POINTS) {
          options.skip?.add(runId);
          adoptCompacted(this.db, this.options.dir, runId, options.maxBytes);
          // Looked at, at this size (adopted or not): not again until the journal grows.
          this.db.run('UPDATE journals SET compact_skip = offset WHERE run_id = ?', [runId]);
          this.dirty = true;
          return { runId, outcome: { compacted: false, reason: ADOPTED } };
        }
        outcome = yield* compactSteps(this.db, this.options.dir, runId, { ...options, pushedStates: pushed });
      } catch (error) {
        outcome = { compacted: false, reason: (error as Error).message };
      }
      // The database changed when the run was compacted, or found not worth it (compact_skip).
      if (outcome.compacted || outcome.reason === NOT_WORTH_IT) this.dirty = true;
      options.skip?.add(runId);
      return { runId, outcome };
    }
    // Compacted runs whose chunks hold their points again (a rebuilt database): pointed at the journal.
    for (const runId of unadoptedRuns(this.db)) {
      if (options.skip?.has(runId)) continue;
      options.skip?.add(runId);
      try {
        adoptCompacted(this.db, this.options.dir, runId, options.maxBytes);
      } catch (error) {
        return { runId, outcome: { compacted: false, reason: (error as Error).message } };
      }
      this.dirty = true;
      return { runId, outcome: { compacted: false, reason: ADOPTED } };
    }
    return undefined;
  }

  static async open(options: StoreOptions): Promise<RunStore> {
    const log = options.log ?? (() => undefined);
    const { db, recoveredFrom } = await openDatabase({ ...options, log });
    const files = ChunkFiles.attach(db, options.dir, options.writer);
    const journals = new JournalSync(db, options.dir, log);
    const store = new RunStore(db, files, journals, options, recoveredFrom);
    // Nothing is written until there is something to keep: opening never creates the folder.
    store.dirty = recoveredFrom !== undefined;
    if (options.writer) {
      // Uploads cut short by a crash or a kill of their process: nobody will finish them.
      const removed = await removeStaleTemp(options.dir);
      if (removed > 0) log(`Removed ${removed} temporary file(s) left by processes that are gone.`);
      // A compaction killed after its rename: lines written to the old journal meanwhile are carried over.
      recoverMoves(options.dir, log);
      // Chunks written after the last snapshot are cut off (the journals hold their points); a run
      // whose file lost chunks the database points at is read again.
      for (const runId of files.check()) {
        log(`The chunk file of run ${runId} is shorter than the database says, or gone; reading its journal again.`);
        journals.forgetRun(runId);
        store.dirty = true;
      }
    }
    await store.syncJournals();
    return store;
  }

  /** Drops what the database holds of a run: the next sync reads its journal again from the start. */
  forgetRun(runId: string): void {
    this.journals.forgetRun(runId);
    this.dirty = true;
  }

  /** Ingests whatever the journals hold beyond what the database has read. */
  async syncJournals(onlyRuns?: readonly string[]): Promise<SyncResult> {
    const result = await this.journals.sync(onlyRuns);
    if (result.changedRuns.length > 0) this.dirty = true;
    return result;
  }

  /** Answers one of the store's queries (storeQueries.ts): the names and arguments of `StoreClient.call`. */
  query<K extends QueryName>(name: K, ...args: QueryArgs<K>): QueryResult<K> {
    return runQuery(this.db, name, args);
  }

  get hasUnsavedChanges(): boolean {
    return this.dirty;
  }

  /** Writes the database file atomically, if anything changed since the last snapshot. */
  async snapshot(): Promise<boolean> {
    if (!this.writer || !this.dirty) return false;
    // The snapshot points into the chunk files: what it points at is on disk first.
    this.files.sync();
    // Files no row names now: the database saved until now may still name them.
    const retired = this.files.takeRetired();
    const image = this.db.export();
    this.dirty = false;
    try {
      await saveDatabase(this.options.dir, image);
    } catch (error) {
      this.dirty = true;
      this.files.remove(retired, false);
      throw error;
    }
    this.files.remove(retired, true);
    return true;
  }

  close(): void {
    this.files.close();
    this.db.close();
  }
}
