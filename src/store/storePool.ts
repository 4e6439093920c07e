import type { StoreClientEvents } from './storeClient';
import { StoreClient } from './storeClient';

export interface PoolOptions {
  /** The bundled worker script (dist/storeWorker.js). */
  readonly workerFile: string;
  readonly wasmFile: string;
  readonly version: string;
  readonly changed: (dir: string, runIds: readonly string[]) => void;
  readonly log: NonNullable<StoreClientEvents['log']>;
}

/**
 * One store worker per store folder, started on first use: a window with three workspace folders
 * and no open Runs view starts none.
 */
export class StorePool {
  private readonly clients = new Map<string, StoreClient>();

  constructor(private readonly options: PoolOptions) {}

  get(dir: string): StoreClient {
    let client = this.clients.get(dir);
    if (!client) {
      client = new StoreClient(
        this.options.workerFile,
        { dir, version: this.options.version, wasmFile: this.options.wasmFile },
        { changed: (runIds) => this.options.changed(dir, runIds), log: this.options.log },
      );
      this.clients.set(dir, client);
    }
    return client;
  }

  /** Closes the stores of folders no longer open (after a workspace or setting change). */
  async retainOnly(dirs: readonly string[]): Promise<void> {
    const keep = new Set(dirs);
    const closing: Promise<void>[] = [];
    for (const [dir, client] of this.clients) {
      if (keep.has(dir)) continue;
      this.clients.delete(dir);
      closing.push(client.close());
    }
    await Promise.all(closing);
  }

  async closeAll(): Promise<void> {
    await this.retainOnly([]);
  }
}
