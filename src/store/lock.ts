import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'lock';
/** How often the holder proves it is alive, and how old a heartbeat may get before the lock is stale. */
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 20_000;

export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly heartbeat: number;
  readonly token: string;
}

export interface LockOptions {
  readonly now?: () => number;
  readonly staleMs?: number;
  /** Whether a process of this host is alive; injectable for tests. */
  readonly isAlive?: (pid: number) => boolean;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<LockInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(file, 'utf8')) as Partial<LockInfo>;
    if (typeof info.pid !== 'number' || typeof info.host !== 'string' || typeof info.heartbeat !== 'number') {
      return undefined;
    }
    return { pid: info.pid, host: info.host, heartbeat: info.heartbeat, token: String(info.token) };
  } catch {
    return undefined;
  }
}

/**
 * `.runlog/lock`: exactly one process at a time ingests into and snapshots `runlog.db`. The holder
 * rewrites its heartbeat every few seconds; a lock whose heartbeat is old, or whose process on this
 * host is gone, is stale and may be taken over. Taking over renames a new lock file over the old
 * one and then reads it back: of two processes racing, only the one whose token is there wins.
 */
export class StoreLock {
  private constructor(
    private readonly file: string,
    readonly info: LockInfo,
    private readonly now: () => number,
  ) {}

  static async tryAcquire(dir: string, options: LockOptions = {}): Promise<StoreLock | undefined> {
    const now = options.now ?? Date.now;
    const file = join(dir, LOCK_FILE);
    const info: LockInfo = {
      pid: process.pid,
      host: hostname(),
      heartbeat: now(),
      token: randomBytes(8).toString('hex'),
    };
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(JSON.stringify(info));
      } finally {
        await handle.close();
      }
      return new StoreLock(file, info, now);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(file);
    if (holder && !StoreLock.isStale(holder, options)) return undefined;
    const temp = `${file}.${info.token}.tmp`;
    await writeFile(temp, JSON.stringify(info));
    await rename(temp, file);
    const after = await readLock(file);
    return after?.token === info.token ? new StoreLock(file, info, now) : undefined;
  }

  /** Who holds the lock, if anyone does (stale or not). */
  static read(dir: string): Promise<LockInfo | undefined> {
    return readLock(join(dir, LOCK_FILE));
  }

  static isStale(holder: LockInfo, options: LockOptions = {}): boolean {
    const now = (options.now ?? Date.now)();
    if (now - holder.heartbeat > (options.staleMs ?? STALE_MS)) return true;
    return holder.host === hostname() && !(options.isAlive ?? processAlive)(holder.pid);
  }

  /** Renews the heartbeat; false when another process has taken the lock over meanwhile. */
  async heartbeat(): Promise<boolean> {
    const current = await readLock(this.file);
    if (current?.token !== this.info.token) return false;
    const temp = `${this.file}.${this.info.token}.tmp`;
    await writeFile(temp, JSON.stringify({ ...this.info, heartbeat: this.now() }));
    await rename(temp, this.file);
    return true;
  }

  /** Gives the lock up, unless someone else already holds it. */
  async release(): Promise<void> {
    const current = await readLock(this.file);
    if (current?.token === this.info.token) await rm(this.file, { force: true });
  }
}
