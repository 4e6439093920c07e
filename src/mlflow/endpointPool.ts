import type { LogLevel } from './context';
import { MlflowEndpoint } from './server';
import type { StoreReads } from './storeReads';

/**
 * One MLflow endpoint per store folder, started when the first run of that store is launched
 * (a window that launches nothing listens on no port), stopped with the extension.
 */
export class MlflowEndpointPool {
  private readonly endpoints = new Map<string, Promise<MlflowEndpoint>>();

  constructor(
    private readonly readsFor: (storeDir: string) => StoreReads,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {}

  get(storeDir: string): Promise<MlflowEndpoint> {
    let endpoint = this.endpoints.get(storeDir);
    if (!endpoint) {
      endpoint = MlflowEndpoint.start({ storeDir, reads: this.readsFor(storeDir), log: this.log });
      this.endpoints.set(storeDir, endpoint);
      // A failed start is forgotten, so the next launch tries again.
      endpoint.then(
        (started) => this.log('info', `MLflow endpoint for ${storeDir} listening on ${started.uri}`),
        () => this.endpoints.delete(storeDir),
      );
    }
    return endpoint;
  }

  /** The environment a launched run gets, or none when the endpoint cannot start (logged). */
  async env(storeDir: string, runId: string): Promise<Record<string, string>> {
    try {
      return (await this.get(storeDir)).env(runId);
    } catch (error) {
      this.log('warn', `The MLflow endpoint could not start: ${(error as Error).message}`);
      return {};
    }
  }

  /** Stops the endpoints of store folders no longer open (after a workspace or setting change). */
  async retainOnly(storeDirs: readonly string[]): Promise<void> {
    const keep = new Set(storeDirs);
    const closing: Promise<void>[] = [];
    for (const [dir, endpoint] of this.endpoints) {
      if (keep.has(dir)) continue;
      this.endpoints.delete(dir);
      closing.push(endpoint.then((e) => e.close()).catch(() => undefined));
    }
    await Promise.all(closing);
  }

  async closeAll(): Promise<void> {
    await this.retainOnly([]);
  }
}
