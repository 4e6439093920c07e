/**
 * What a store has pushed where, in `<store>/sync/` (docs/JOURNAL.md, "Syncing with a tracking
 * server"):
 *
 *   store.json           {"store_id": "<32 hex>"}: the store's id, tagged on every run it pushes
 *   <key>/server.json    {"uri": "…"}: the server this folder is about (key: serverUri.ts)
 *   <key>/pushed.jsonl   one line per step, the last of a run wins:
 *     {"run": L, "remote": R, "offset": 0, "done": false}   L is R on the server (created, or found by tag)
 *     {"run": L, "sending": [from, to]}                     journal bytes [from, to) are on their way
 *     {"run": L, "offset": N, "done": B}                    the server confirmed every line before N;
 *                                                           B: the run's end, end time and artifacts too;
 *                                                           a `sending` range reaching past N stays open
 *   Lines with an offset carry "generation": G when the journal they count in is a compacted one
 *   (its first line names G): offsets of another generation of the journal mean nothing, and the
 *   next push sends the run again, leaving out what the server has.
 *   <key>/pulled.jsonl   {"remote": R, "local": L, "fingerprint": F}: run R of the server is L here, as it
 *                        was when F (a digest of its runs/get answer) was read; the last line of R wins
 *   <key>/lock           the one process pushing to or pulling from that server (store/lock.ts)
 *
 * A line is appended only after the server's 200, so the file never claims more than the server
 * has. A crash between the 200 and the line costs nothing but a check: the next push finds the run
 * by its `runlog.source_id` tag, or sees the `sending` range without its confirmation and asks the
 * server what of it arrived before sending the rest.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomicFile';
import { O_NOFOLLOW, appendJournal } from '../store/journalAppend';
import { StoreLock } from '../store/lock';
import { serverKey } from './serverUri';

export const SYNC_DIR = 'sync';
const STATE_FILE = 'pushed.jsonl';
const PULLED_FILE = 'pulled.jsonl';

export interface PushedRun {
  readonly remote: string;
  /** Journal bytes before this offset are on the server. */
  readonly offset: number;
  /** The run is whole on the server: its end, end time and artifacts. */
  readonly done: boolean;
  /** Bytes sent whose answer never came (the process died waiting). */
  readonly unconfirmed?: readonly [number, number];
  /**
   * The generation of the journal the offsets count in ('' for a journal never compacted): a
   * compaction rewrites the journal, and its offsets with it.
   */
  readonly generation: string;
}

export class SyncBusyError extends Error {
  override readonly name = 'SyncBusyError';
}

export interface PulledRun {
  readonly local: string;
  readonly fingerprint: string;
}

/** The store's id: made once, the first time the store pushes (or a pulled run needs to know it). */
export async function storeId(storeDir: string): Promise<{ id: string; fresh: boolean }> {
  const dir = join(storeDir, SYNC_DIR);
  const file = join(dir, 'store.json');
  const read = async (): Promise<string | undefined> => {
    try {
      const id = (JSON.parse(await readFile(file, 'utf8')) as { store_id?: unknown }).store_id;
      return typeof id === 'string' && /^[0-9a-f]{32}$/.test(id) ? id : undefined;
    } catch {
      return undefined;
    }
  };
  const existing = await read();
  if (existing) return { id: existing, fresh: false };
  await mkdir(dir, { recursive: true });
  const id = randomBytes(16).toString('hex');
  try {
    await writeFile(file, `${JSON.stringify({ store_id: id })}\n`, { flag: 'wx' });
    return { id, fresh: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process made it first; a file cut short by a crash is made again.
    const theirs = await read();
    if (theirs) return { id: theirs, fresh: false };
    await writeFileAtomic(file, Buffer.from(`${JSON.stringify({ store_id: id })}\n`));
    return { id, fresh: true };
  }
}

/** Reads a state file's lines into the last state of each run; lines that do not parse are skipped. */
export function parseState(text: string): Map<string, PushedRun> {
  const runs = new Map<string, PushedRun>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: {
      run?: unknown;
      remote?: unknown;
      offset?: unknown;
      done?: unknown;
      sending?: unknown;
      generation?: unknown;
    };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry.run !== 'string') continue;
    const before = runs.get(entry.run);
    const offset =
      Number.isSafeInteger(entry.offset) && (entry.offset as number) >= 0 ? (entry.offset as number) : undefined;
    const generation = typeof entry.generation === 'string' ? entry.generation : '';
    if (typeof entry.remote === 'string' && entry.remote !== '') {
      runs.set(entry.run, { remote: entry.remote, offset: offset ?? 0, done: entry.done === true, generation });
    } else if (!before) {
      continue;
    } else if (
      Array.isArray(entry.sending) &&
      entry.sending.length === 2 &&
      entry.sending.every(Number.isSafeInteger)
    ) {
      runs.set(entry.run, { ...before, unconfirmed: [entry.sending[0] as number, entry.sending[1] as number] });
    } else if (offset !== undefined) {
      runs.set(entry.run, confirmedState(before, offset, entry.done === true, generation));
    }
  }
  return runs;
}

/**
 * A run's state after the server confirmed the bytes before `offset`: a `sending` range that reaches
 * past it stays (a later batch still on its way when an earlier one was answered).
 */
function confirmedState(before: PushedRun, offset: number, done: boolean, generation: string): PushedRun {
  const unconfirmed =
    before.unconfirmed && before.unconfirmed[1] > offset && before.generation === generation
      ? before.unconfirmed
      : undefined;
  return { remote: before.remote, offset, done, generation, ...(unconfirmed ? { unconfirmed } : {}) };
}

/** A state line's generation field: none for a journal never compacted. */
const generationField = (generation: string): { generation?: string } => (generation ? { generation } : {});

/** Pull records: the last line of each remote run wins. */
export function parsePulled(text: string): Map<string, PulledRun> {
  const runs = new Map<string, PulledRun>();
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { remote?: unknown; local?: unknown; fingerprint?: unknown };
      if (
        typeof entry.remote === 'string' &&
        typeof entry.local === 'string' &&
        typeof entry.fingerprint === 'string'
      ) {
        runs.set(entry.remote, { local: entry.local, fingerprint: entry.fingerprint });
      }
    } catch {
      // An empty or cut-off line.
    }
  }
  return runs;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Where a local run went: a server's URI, and whether the run is whole there. */
export interface PushedTo {
  readonly uri: string;
  readonly done: boolean;
}

/**
 * Every run this store pushed, and to which servers (from `<store>/sync/*`, read without the lock:
 * a line being appended is cut off and skipped). For the Runs view's "↑ server".
 */
export async function pushedRuns(storeDir: string): Promise<Map<string, PushedTo[]>> {
  const result = new Map<string, PushedTo[]>();
  let keys: string[];
  try {
    keys = await readdir(join(storeDir, SYNC_DIR));
  } catch {
    return result;
  }
  for (const key of keys) {
    let uri: unknown;
    try {
      uri = (JSON.parse(await readFile(join(storeDir, SYNC_DIR, key, 'server.json'), 'utf8')) as { uri?: unknown }).uri;
    } catch {
      continue; // store.json, or a folder without its server
    }
    if (typeof uri !== 'string') continue;
    for (const [run, state] of parseState(await readText(join(storeDir, SYNC_DIR, key, STATE_FILE)))) {
      if (run.startsWith('models:/')) continue;
      result.set(run, [...(result.get(run) ?? []), { uri, done: state.done }]);
    }
  }
  return result;
}

/**
 * What one store exchanged with one server, held by one process at a time (the lock is taken on
 * open and renewed while it is held). Push lines go through one append-only descriptor, one write each.
 */
export class SyncState {
  private handle: FileHandle | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lines = 0;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    readonly dir: string,
    private readonly lock: StoreLock,
    private readonly runs: Map<string, PushedRun>,
    lines: number,
    private readonly pulls: Map<string, PulledRun>,
  ) {
    this.lines = lines;
    this.heartbeat = setInterval(() => void this.lock.heartbeat().catch(() => undefined), 5_000);
    this.heartbeat.unref();
  }

  static async open(storeDir: string, uri: string): Promise<SyncState> {
    const dir = join(storeDir, SYNC_DIR, serverKey(uri));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'server.json'), `${JSON.stringify({ uri })}\n`);
    const lock = await StoreLock.tryAcquire(dir);
    if (!lock) {
      const holder = await StoreLock.read(dir);
      throw new SyncBusyError(
        `another push to or pull from ${uri} with this store is under way${holder ? ` (process ${holder.pid} on ${holder.host})` : ''}; try again when it ends`,
      );
    }
    try {
      const text = await readText(join(dir, STATE_FILE));
      const pulled = parsePulled(await readText(join(dir, PULLED_FILE)));
      return new SyncState(dir, lock, parseState(text), text.split('\n').length, pulled);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** What this store made of a remote run when it last pulled it. */
  pulled(remote: string): PulledRun | undefined {
    return this.pulls.get(remote);
  }

  async recordPull(remote: string, local: string, fingerprint: string): Promise<void> {
    this.pulls.set(remote, { local, fingerprint });
    await appendJournal(join(this.dir, PULLED_FILE), `${JSON.stringify({ remote, local, fingerprint })}\n`, {
      create: true,
    });
  }

  get(runId: string): PushedRun | undefined {
    return this.runs.get(runId);
  }

  /** Local ids of every run this store pushed to the server (remote ids by local id). */
  remotes(): Map<string, string> {
    return new Map([...this.runs].map(([run, state]) => [run, state.remote]));
  }

  mapped(runId: string, remote: string, generation = ''): Promise<void> {
    this.runs.set(runId, { remote, offset: 0, done: false, generation });
    return this.append({ run: runId, remote, offset: 0, done: false, ...generationField(generation) });
  }

  sending(runId: string, from: number, to: number): Promise<void> {
    const before = this.runs.get(runId);
    if (before) this.runs.set(runId, { ...before, unconfirmed: [from, to] });
    return this.append({ run: runId, sending: [from, to] });
  }

  confirmed(runId: string, offset: number, done: boolean, generation = ''): Promise<void> {
    const before = this.runs.get(runId);
    if (!before) throw new Error(`run ${runId} was never mapped to a remote run`);
    this.runs.set(runId, confirmedState(before, offset, done, generation));
    return this.append({ run: runId, offset, done, ...generationField(generation) });
  }

  private append(entry: object): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    this.lines++;
    this.writing = this.writing.then(async () => {
      if (!this.handle) {
        // The first line goes by the journal rule (a line cut short by a kill gets its newline).
        const file = join(this.dir, STATE_FILE);
        await appendJournal(file, line, { create: true });
        this.handle = await open(file, constants.O_WRONLY | constants.O_APPEND | O_NOFOLLOW);
        return;
      }
      await this.handle.write(line);
    });
    return this.writing;
  }

  /** Waits for the lines, rewrites the file when it has grown long, and gives the lock up. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    try {
      await this.writing.catch(() => undefined);
      await this.handle?.close();
      this.handle = undefined;
      if (this.lines > 4 * this.runs.size + 1000) {
        const text = [...this.runs]
          .map(
            ([run, s]) =>
              `${JSON.stringify({ run, remote: s.remote, offset: s.offset, done: s.done, ...generationField(s.generation) })}\n${s.unconfirmed ? `${JSON.stringify({ run, sending: s.unconfirmed })}\n` : ''}`,
          )
          .join('');
        await writeFileAtomic(join(this.dir, STATE_FILE), Buffer.from(text));
      }
    } finally {
      await this.lock.release();
    }
  }
}
