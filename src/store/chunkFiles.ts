import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileIdOf } from './journalRewrite';
import type { Db } from './sqlite';
import { CHUNKS_DIR, JOURNAL_FILE, RUNS_DIR } from './storeLocation';

/**
 * The runs' chunk files: where a series' full chunks live, so the in-memory database holds only
 * their index (metric_chunks rows: ranges, summaries, and where the chunk is) and memory does not
 * grow with the points. One file a run (`chunks/<run id>.<random>.chunks`), append-only: each full
 * chunk is its block summaries then its encoded columns (chunkCodec.ts), at the offset its row
 * records. The partial last chunk of a series, rewritten at every append, stays in its row.
 *
 * The database vouches for the first `size` bytes of each file (`chunk_files`, updated in the
 * transaction that adds the rows pointing there), and a snapshot is written only after the files
 * are fsynced, so every saved database finds its chunks on disk. Bytes past `size` belong to rows
 * that were never saved (a kill before the snapshot): the writer cuts them off when it opens the
 * store, and the journal replay writes those points again. A file shorter than `size`, or gone, has
 * lost chunks: its run is read again from its journal. A run read again from the start gets a new
 * file name, so a process still holding an older database never reads another file's bytes as its
 * chunks.
 *
 * Only the writer (the lock holder) writes files; a reader keeps the full chunks of what it
 * replays in their rows, as the database always did.
 */
/**
 * The chunk file this database names for a run is not there: the writer replaced it (a compaction)
 * or dropped it (the run read again) after this process read the database, and has saved one that
 * no longer names it since; or the journal whose lines its chunks point at was replaced. The run is
 * read again from its journal (StoreService.call).
 */
export class ChunkFileGone extends Error {
  constructor(
    readonly runId: string,
    name: string,
  ) {
    super(`The chunk file ${name} of run ${runId} is gone.`);
  }
}

export class ChunkFiles {
  private static readonly attached = new WeakMap<Db, ChunkFiles>();
  /** Open files by run: name, descriptor, where the next chunk goes, and whether unsynced. */
  private readonly open = new Map<string, { name: string; fd: number; end: number; dirty: boolean }>();
  /**
   * Files no row names any more (replaced, or their run forgotten) that the last saved database may
   * still name: removed once a snapshot without them is on disk (`takeRetired`, `remove`), so a
   * reader opening the saved database after a kill finds every file it names.
   */
  private retired: string[] = [];

  private constructor(
    private readonly db: Db,
    /** The store folder. */
    private readonly dir: string,
    /** Whether this process writes chunk files (it holds the store's lock). */
    public writable: boolean,
  ) {}

  /** The chunk files of a database's store, once attached. */
  static of(db: Db): ChunkFiles | undefined {
    return ChunkFiles.attached.get(db);
  }

  static attach(db: Db, dir: string, writable: boolean): ChunkFiles {
    const files = new ChunkFiles(db, dir, writable);
    ChunkFiles.attached.set(db, files);
    return files;
  }

  private get folder(): string {
    return join(this.dir, CHUNKS_DIR);
  }

  /**
   * The writer's check when it opens the store: cuts each file to the bytes the database vouches
   * for and removes files no row names. Returns the runs whose file lost chunks (shorter, or
   * gone): they must be read again from their journals.
   */
  check(): string[] {
    const rows = this.db.all<{ run_id: string; name: string; size: number }>(
      'SELECT run_id, name, size FROM chunk_files',
    );
    const lost: string[] = [];
    const named = new Set<string>();
    for (const row of rows) {
      named.add(row.name);
      let fd: number;
      try {
        fd = openSync(join(this.folder, row.name), 'r+');
      } catch {
        if (row.size > 0) lost.push(row.run_id);
        else this.db.run('DELETE FROM chunk_files WHERE run_id = ?', [row.run_id]);
        continue;
      }
      try {
        const size = fstatSync(fd).size;
        if (size < row.size) lost.push(row.run_id);
        else if (size > row.size) ftruncateSync(fd, row.size);
      } finally {
        closeSync(fd);
      }
    }
    let present: string[];
    try {
      present = readdirSync(this.folder);
    } catch {
      present = [];
    }
    for (const name of present) {
      if (name.endsWith('.chunks') && !named.has(name)) rmSync(join(this.folder, name), { force: true });
    }
    return lost;
  }

  /**
   * Appends a full chunk (its block summaries, then its data) to the run's file and records the
   * file's vouched size; returns the chunk's offset. Call inside the transaction that writes the row.
   */
  append(runId: string, blocks: Uint8Array, data: Uint8Array): number {
    const file = this.writableFile(runId);
    const offset = file.end;
    writeAll(file.fd, blocks, offset);
    writeAll(file.fd, data, offset + blocks.length);
    file.end = offset + blocks.length + data.length;
    file.dirty = true;
    // The row is written whole: a rolled-back transaction may have taken the one that named the file.
    this.db.run('INSERT OR REPLACE INTO chunk_files (run_id, name, size) VALUES (?, ?, ?)', [
      runId,
      file.name,
      file.end,
    ]);
    return offset;
  }

  /** Bytes [offset, offset + length) of the run's chunk file. */
  read(runId: string, offset: number, length: number): Uint8Array {
    return this.readInto(runId, offset, new Uint8Array(length));
  }

  /** Fills `into` with the run's chunk file's bytes from `offset` on. */
  readInto(runId: string, offset: number, into: Uint8Array): Uint8Array {
    const file = this.readableFile(runId);
    let done = 0;
    while (done < into.length) {
      const n = readSync(file.fd, into, done, into.length - done, offset + done);
      if (n === 0) throw new Error(`The chunk file of run ${runId} ends before a chunk it should hold.`);
      done += n;
    }
    return into;
  }

  /** Throws ChunkFileGone when the run's journal is not the file `fileId` (the database's) any more. */
  checkJournal(runId: string, fileId: string | null | undefined): void {
    let fd: number;
    try {
      fd = openSync(join(this.dir, RUNS_DIR, runId, JOURNAL_FILE), constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch {
      return;
    }
    try {
      this.checkFile(runId, fd, fileId);
    } finally {
      closeSync(fd);
    }
  }

  private checkFile(runId: string, fd: number, fileId: string | null | undefined): void {
    if (fileId && fileIdOf(fstatSync(fd, { bigint: true })) !== fileId) {
      throw new ChunkFileGone(runId, `${JOURNAL_FILE} it read (the journal was compacted again)`);
    }
  }

  /** The run's folder in the store (its journal and points file). */
  runFolder(runId: string): string {
    return join(this.dir, RUNS_DIR, runId);
  }

  /**
   * Bytes [offset, offset + length) of the run's journal: the line naming a chunk's points in its
   * compacted journal (compaction.ts). Readers and the writer alike. `fileId` is the journal the
   * database read (`journals.file_id`): when another file is there (the writer compacted the run
   * again since), its offsets mean nothing in it, and the run is read again (ChunkFileGone).
   */
  readJournal(runId: string, offset: number, length: number, fileId?: string | null): Uint8Array {
    const fd = openSync(
      join(this.dir, RUNS_DIR, runId, JOURNAL_FILE),
      constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0),
    );
    try {
      this.checkFile(runId, fd, fileId);
      const into = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, into, done, length - done, offset + done);
        if (n === 0) throw new Error(`The journal of run ${runId} ends before a chunk it should hold.`);
        done += n;
      }
      return into;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Replaces the run's chunk file with a new one holding `pieces` one after another (fsynced), and
   * returns each piece's offset; the old file goes once a snapshot without it is saved. Call inside
   * the transaction that points the rows at the new offsets: a database saved before it still finds
   * the old file; the new file, named by no saved row, is removed at the next open.
   */
  replace(runId: string, pieces: readonly Uint8Array[]): number[] {
    if (!this.writable) throw new Error('Only the store writer writes chunk files.');
    mkdirSync(this.folder, { recursive: true });
    const name = `${runId}.${randomBytes(4).toString('hex')}.chunks`;
    const fd = openSync(join(this.folder, name), 'wx+');
    const offsets: number[] = [];
    let end = 0;
    try {
      for (const piece of pieces) {
        offsets.push(end);
        writeAll(fd, piece, end);
        end += piece.length;
      }
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(join(this.folder, name), { force: true });
      throw error;
    }
    const old = this.db.get<{ name: string }>('SELECT name FROM chunk_files WHERE run_id = ?', [runId]);
    const cached = this.open.get(runId);
    if (cached) closeSync(cached.fd);
    this.open.set(runId, { name, fd, end, dirty: false });
    this.db.run('INSERT OR REPLACE INTO chunk_files (run_id, name, size) VALUES (?, ?, ?)', [runId, name, end]);
    if (old) this.retired.push(old.name);
    return offsets;
  }

  /** The files retired so far, handed to a snapshot about to be taken (it names none of them). */
  takeRetired(): string[] {
    const taken = this.retired;
    this.retired = [];
    return taken;
  }

  /** After the snapshot that no longer names them is saved: they go. Else they wait for the next. */
  remove(names: readonly string[], saved: boolean): void {
    if (!saved) {
      this.retired.push(...names);
      return;
    }
    for (const name of names) rmSync(join(this.folder, name), { force: true });
  }

  /** Drops a run's chunk file (its rows are being deleted: the run is forgotten or read again). */
  forget(runId: string): void {
    const file = this.open.get(runId);
    if (file) {
      closeSync(file.fd);
      this.open.delete(runId);
    }
    const row = this.db.get<{ name: string }>('SELECT name FROM chunk_files WHERE run_id = ?', [runId]);
    this.db.run('DELETE FROM chunk_files WHERE run_id = ?', [runId]);
    if (row && this.writable) this.retired.push(row.name);
  }

  /** When the store's lock is taken or lost: files are opened again for what this process may do. */
  setWritable(writable: boolean): void {
    if (writable === this.writable) return;
    this.close();
    this.writable = writable;
  }

  /** Makes every chunk appended so far durable: called before a snapshot that points at them. */
  sync(): void {
    for (const file of this.open.values()) {
      if (!file.dirty) continue;
      fsyncSync(file.fd);
      file.dirty = false;
    }
  }

  close(): void {
    for (const file of this.open.values()) closeSync(file.fd);
    this.open.clear();
  }

  private readableFile(runId: string): { name: string; fd: number; end: number; dirty: boolean } {
    const cached = this.open.get(runId);
    if (cached) return cached;
    const row = this.db.get<{ name: string; size: number }>('SELECT name, size FROM chunk_files WHERE run_id = ?', [
      runId,
    ]);
    if (!row) throw new Error(`Run ${runId} has chunks on disk but no chunk file is recorded for it.`);
    let fd: number;
    try {
      fd = openSync(join(this.folder, row.name), this.writable ? 'r+' : 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ChunkFileGone(runId, row.name);
      throw error;
    }
    const file = { name: row.name, fd, end: this.writable ? fstatSync(fd).size : row.size, dirty: false };
    this.open.set(runId, file);
    return file;
  }

  private writableFile(runId: string): { name: string; fd: number; end: number; dirty: boolean } {
    if (!this.writable) throw new Error('Only the store writer appends to chunk files.');
    const cached = this.open.get(runId);
    if (cached) return cached;
    const exists = this.db.get<{ name: string }>('SELECT name FROM chunk_files WHERE run_id = ?', [runId]);
    if (exists) return this.readableFile(runId);
    mkdirSync(this.folder, { recursive: true });
    const name = `${runId}.${randomBytes(4).toString('hex')}.chunks`;
    const fd = openSync(join(this.folder, name), 'wx+');
    const file = { name, fd, end: 0, dirty: true };
    this.open.set(runId, file);
    return file;
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}
