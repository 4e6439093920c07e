import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ChunkFiles } from './chunkFiles';
import { fileIdOf, readGenerationSync } from './journalRewrite';
import type { IngestStats, Rejection } from './ingest';
import { ingestChunk } from './ingest';
import type { JournalChunk } from './journal';
import { findLineEnd, readJournal, skippedLineChunk } from './journal';
import { LOGGED_MODEL_TABLES, MODELS_JOURNAL, ingestLoggedModelChunk } from './loggedModelIngest';
import { REGISTRY_JOURNAL, REGISTRY_TABLES, ingestRegistryChunk } from './registryIngest';
import type { Db } from './sqlite';
import { JOURNAL_FILE, MODELS_DIR, REGISTRY_DIR, RUNS_DIR, RUN_ID } from './storeLocation';

/** The longest line read whole; a journal is read in pieces of at most this, so replaying a huge one never needs it all in memory. */
const READ_PIECE = 32 * 1024 * 1024;
/**
 * The piece read first: a piece's points are all in memory at once (a few bytes a point in the
 * journal, 24 in columns), so pieces stay small unless a line needs more.
 */
const FIRST_PIECE = 1024 * 1024;

export interface SyncResult {
  /** The runs whose rows changed (`@registry` for the registry journal, `@models` for the logged models'). */
  readonly changedRuns: string[];
  /**
   * Run folders of which nothing has been read yet: no journal, or not a whole line in it. A run
   * that just started may write its first line any moment; whoever watches should watch these.
   */
  readonly unread: string[];
  readonly stats: IngestStats;
}

/** How far a journal has been read: the `journals` table's row for it. */
interface Position {
  readonly offset: number;
  readonly line: number;
  /** The generation its first line names ('' unless it is a compacted journal: compaction.ts). */
  readonly generation?: string;
  /** The identity (device:inode) of the file read, when known. */
  readonly file_id?: string | null;
}

const START: Position = { offset: 0, line: 1 };

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Journal replay: brings the database up to what the journals hold. The database records, with the
 * rows of each piece it ingests, how far it has read each journal (`journals`), so a sync reads only
 * what was appended since, whether the last one was a moment ago or the snapshot is days old. A run
 * whose journal got shorter than that, or whose folder is gone, is forgotten (and read again when
 * there is a journal to read). The logged models journal and the registry journal are read the same
 * way after the run journals.
 */
export class JournalSync {
  /** Journals (by run id) stopped at a long line without an end yet: where, and how far it was searched. */
  private readonly longLines = new Map<string, { offset: number; searchedTo: number }>();
  /** The buffer first pieces are read into, while no read is using it. */
  private readBuffer: Buffer | undefined = Buffer.alloc(FIRST_PIECE);
  /** Run folders skipped because they are symbolic links, each reported once. */
  private readonly skippedLinks = new Set<string>();

  constructor(
    private readonly db: Db,
    /** The store folder. */
    private readonly dir: string,
    private readonly log: (message: string) => void,
  ) {}

  /** Ingests whatever the journals (of `onlyRuns`, else all), the logged models' and the registry's hold beyond what was read. */
  async sync(onlyRuns?: readonly string[]): Promise<SyncResult> {
    const runsDir = join(this.dir, RUNS_DIR);
    let ids: string[];
    if (onlyRuns) {
      ids = onlyRuns.filter((id) => RUN_ID.test(id));
    } else {
      try {
        ids = (await readdir(runsDir, { withFileTypes: true }))
          .filter((entry) => RUN_ID.test(entry.name) && this.isRealFolder(entry.name, !entry.isSymbolicLink()))
          .map((entry) => entry.name);
      } catch (error) {
        if (isMissing(error)) ids = [];
        else throw error;
      }
    }
    const positions = new Map(
      this.db
        .all<{
          run_id: string;
          offset: number;
          line: number;
          generation: string;
          file_id: string | null;
        }>('SELECT run_id, offset, line, generation, file_id FROM journals')
        .map((row) => [row.run_id, row]),
    );
    const changedRuns: string[] = [];
    const unread: string[] = [];
    let events = 0;
    let points = 0;
    const rejected: Rejection[] = [];
    for (const runId of ids) {
      const file = join(runsDir, runId, JOURNAL_FILE);
      let size: number;
      let fileId: string;
      try {
        if (onlyRuns && !this.isRealFolder(runId, !(await lstat(join(runsDir, runId))).isSymbolicLink())) continue;
        const info = await lstat(file, { bigint: true });
        if (!this.isRealFolder(runId, !info.isSymbolicLink(), 'journal')) continue;
        size = Number(info.size);
        fileId = fileIdOf(info);
      } catch (error) {
        if (!isMissing(error)) throw error;
        if (positions.has(runId)) {
          this.forgetRun(runId);
          changedRuns.push(runId);
        } else unread.push(runId);
        continue;
      }
      let position: Position = positions.get(runId) ?? START;
      let forgotten = false;
      // Another file than the one read (a compaction replaced it, or the store was copied): when its
      // first line names another generation, the offsets read are not offsets of this file.
      let generation: string | undefined;
      if (position !== START && position.file_id !== fileId) {
        generation = readGenerationSync(file, fileId);
        // Replaced again since the lstat: the next sync looks at the file then there.
        if (generation === undefined) continue;
        if (generation !== position.generation) {
          this.log(`The journal of run ${runId} was rewritten (compacted) since it was read; reading it again.`);
          this.forgetRun(runId);
          position = START;
          forgotten = true;
        }
      }
      if (size < position.offset) {
        this.log(`The journal of run ${runId} got shorter than what was read of it; reading it again from the start.`);
        this.forgetRun(runId);
        position = START;
        forgotten = true;
      }
      if (position === START) {
        generation = readGenerationSync(file, fileId);
        if (generation === undefined) {
          if (forgotten) changedRuns.push(runId);
          continue;
        }
      }
      const read = await this.readPieces(
        runId,
        file,
        position,
        size,
        (chunk) => ingestChunk(this.db, runId, chunk),
        fileId,
      );
      events += read.events;
      points += read.points;
      rejected.push(...read.rejected);
      if (read.to.offset !== position.offset || forgotten) changedRuns.push(runId);
      if (read.to.offset === 0) unread.push(runId);
      if (generation !== undefined && read.to.offset > 0 && !read.replaced) {
        this.db.run('UPDATE journals SET generation = ?, file_id = ? WHERE run_id = ?', [generation, fileId, runId]);
      }
    }
    if (!onlyRuns) {
      // A run whose folder is gone was deleted for good (here or by another window): forget it.
      const present = new Set(ids);
      for (const runId of positions.keys()) {
        if (runId === REGISTRY_JOURNAL || runId === MODELS_JOURNAL || present.has(runId)) continue;
        this.forgetRun(runId);
        changedRuns.push(runId);
      }
    }
    for (const [journal, read] of [
      [MODELS_JOURNAL, await this.syncModels(positions.get(MODELS_JOURNAL))],
      [REGISTRY_JOURNAL, await this.syncRegistry(positions.get(REGISTRY_JOURNAL))],
    ] as const) {
      if (!read) continue;
      events += read.events;
      rejected.push(...read.rejected);
      changedRuns.push(journal);
    }
    for (const r of rejected) {
      this.log(
        r.runId === REGISTRY_JOURNAL
          ? `Registry journal line ${r.line}: ${r.reason}`
          : r.runId === MODELS_JOURNAL
            ? `Logged models journal line ${r.line}: ${r.reason}`
            : `Run ${r.runId}, journal line ${r.line}: ${r.reason}`,
      );
    }
    return { changedRuns, unread, stats: { events, points, rejected } };
  }

  /**
   * Reads a journal from `from` up to `size` a piece at a time, applying each piece with `ingest`
   * (which records, in the piece's transaction, how far the journal has been read). Stops before a
   * last line without its end: it is still being written.
   */
  private async readPieces(
    journal: string,
    file: string,
    from: Position,
    size: number,
    ingest: (chunk: JournalChunk) => IngestStats,
    /** The file's identity as the caller saw it: a file replaced meanwhile is not read (the next sync reads it). */
    expectFile?: string,
  ): Promise<IngestStats & { readonly to: Position; readonly replaced?: boolean }> {
    let at = from;
    let events = 0;
    let points = 0;
    const rejected: Rejection[] = [];
    while (at.offset < size) {
      // One buffer for every first piece, unless another sync of this store is reading into it.
      const idle = this.readBuffer;
      this.readBuffer = undefined;
      let chunk: JournalChunk;
      try {
        chunk = await readJournal(file, at.offset, at.line, FIRST_PIECE, idle ?? Buffer.alloc(FIRST_PIECE), expectFile);
      } finally {
        if (idle) this.readBuffer = idle;
      }
      if (chunk.nextOffset === at.offset && size - at.offset > FIRST_PIECE && !chunk.replaced) {
        chunk = await readJournal(file, at.offset, at.line, READ_PIECE, undefined, expectFile);
      }
      if (chunk.replaced) return { events, points, rejected, to: at, replaced: true };
      if (chunk.nextOffset === at.offset) {
        if (size - at.offset < READ_PIECE) break;
        const skipped = await this.skipLongLine(journal, file, at);
        if (!skipped) break;
        chunk = skipped;
      }
      const stats = ingest(chunk);
      // Its points are in the database now: their columns hold the next piece's.
      chunk.metrics.release();
      events += stats.events;
      points += stats.points;
      rejected.push(...stats.rejected);
      at = { offset: chunk.nextOffset, line: chunk.nextLine };
    }
    return { events, points, rejected, to: at };
  }

  /**
   * Whether a run folder (or its journal) is a real one of the store. A symbolic link is skipped,
   * said once: following it would read, and let writers write, anywhere on the disk.
   */
  private isRealFolder(runId: string, real: boolean, what: 'folder' | 'journal' = 'folder'): boolean {
    if (real) return true;
    if (!this.skippedLinks.has(runId)) {
      this.skippedLinks.add(runId);
      this.log(
        what === 'folder'
          ? `The run folder runs/${runId} is a symbolic link; Runlog skips it (run folders must be real folders of the store).`
          : `The journal of run ${runId} is a symbolic link; Runlog skips it.`,
      );
    }
    return false;
  }

  /**
   * A line longer than the read piece cannot be read whole: it is skipped and recorded as refused
   * (its line number and size), and reading resumes after it. Undefined while the line has no end
   * yet (still being written): how far it was searched is remembered, so the next sync searches
   * only what was added, and the warning is given once.
   */
  private async skipLongLine(journal: string, file: string, at: Position): Promise<JournalChunk | undefined> {
    const searched = this.longLines.get(journal);
    const from = searched?.offset === at.offset ? searched.searchedTo : at.offset + READ_PIECE;
    const end = await findLineEnd(file, from);
    if (end === -1) {
      const size = (await stat(file)).size;
      if (searched?.offset !== at.offset) {
        this.log(
          `${journal === REGISTRY_JOURNAL ? 'The registry journal' : journal === MODELS_JOURNAL ? 'The logged models journal' : `Run ${journal}'s journal`} has a line of over ${READ_PIECE} bytes at line ${at.line} that has no end yet; it will be skipped when it ends.`,
        );
      }
      this.longLines.set(journal, { offset: at.offset, searchedTo: Math.max(from, size) });
      return undefined;
    }
    this.longLines.delete(journal);
    const bytes = end + 1 - at.offset;
    return skippedLineChunk(
      at.line,
      `a line of ${bytes} bytes, longer than the ${READ_PIECE} bytes the store reads at once; skipped`,
      end + 1,
    );
  }

  /** Reads what is new in `registry/events.jsonl`; undefined when nothing is. */
  private syncRegistry(position: Position | undefined): Promise<IngestStats | undefined> {
    return this.syncShared(
      REGISTRY_JOURNAL,
      join(this.dir, REGISTRY_DIR, JOURNAL_FILE),
      'registry',
      REGISTRY_TABLES,
      position,
      (chunk) => ingestRegistryChunk(this.db, chunk),
    );
  }

  /** Reads what is new in `models/events.jsonl` (MLflow 3's logged models); undefined when nothing is. */
  private syncModels(position: Position | undefined): Promise<IngestStats | undefined> {
    return this.syncShared(
      MODELS_JOURNAL,
      join(this.dir, MODELS_DIR, JOURNAL_FILE),
      'logged models',
      LOGGED_MODEL_TABLES,
      position,
      (chunk) => ingestLoggedModelChunk(this.db, chunk),
    );
  }

  /**
   * Reads what is new in one of the store-wide journals (the registry's, the logged models'); one that
   * got shorter than what was read of it empties its tables and is read again from the start.
   */
  private async syncShared(
    journal: string,
    file: string,
    what: string,
    tables: readonly string[],
    position: Position | undefined,
    ingest: (chunk: JournalChunk) => IngestStats,
  ): Promise<IngestStats | undefined> {
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    let at = position ?? START;
    if (size < at.offset) {
      this.log(`The ${what} journal got shorter than what was read of it; reading it again from the start.`);
      this.db.transaction(() => {
        for (const table of tables) this.db.run(`DELETE FROM ${table}`);
        this.db.run('DELETE FROM rejected_events WHERE run_id = ?', [journal]);
      });
      at = START;
    }
    if (size === at.offset) return undefined;
    const read = await this.readPieces(journal, file, at, size, ingest);
    return { events: read.events, points: 0, rejected: read.rejected };
  }

  /** Drops everything known about a run (its journal will be read again from the start). */
  forgetRun(runId: string): void {
    this.db.transaction(() => {
      this.db.run('DELETE FROM metric_chunks WHERE series_id IN (SELECT id FROM metric_series WHERE run_id = ?)', [
        runId,
      ]);
      for (const table of [
        'metric_series',
        'params',
        'tags',
        'artifacts',
        'inputs',
        'environments',
        'git_state',
        'models',
        'run_models',
        'journals',
        'rejected_events',
      ]) {
        this.db.run(`DELETE FROM ${table} WHERE run_id = ?`, [runId]);
      }
      this.db.run('DELETE FROM runs WHERE id = ?', [runId]);
    });
    ChunkFiles.of(this.db)?.forget(runId);
  }
}
