import { Worker } from 'node:worker_threads';
import type { Envelope } from '../../shared/messaging';
import { MessageChannel } from '../../shared/messaging';
import type {
  StoreApi,
  StoreCalls,
  StoreEvent,
  StoreMethod,
  StoreRequest,
  StoreResult,
  StoreStatus,
  StoreWorkerData,
} from './storeProtocol';
import { isStoreEvent } from './storeProtocol';

export interface StoreClientEvents {
  changed?(runIds: readonly string[]): void;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

/**
 * The store worker's young generation, in MB (V8's default is 3 × a 16 MB semi-space on 64-bit
 * machines). The worker's garbage is mostly buffers of journal pieces and of sql.js's in-memory
 * database file; with the default, V8 lets 40–60 MB of them wait for a full collection while it
 * ingests, and the peak RSS of 100M points swung 128–154 MB over the start. At 6 MB it collects
 * them as it goes: 88–91 MB, and ingests as fast (issue 20).
 */
export const STORE_WORKER_YOUNG_MB = 6;

/** What the worker answers to each request. */
type StoreReplies = { readonly [K in StoreMethod]: StoreResult<K> };

/**
 * The extension host's handle on a store: starts the store worker and turns calls into requests.
 * `ready` rejects when the store cannot be opened (for example one written by a newer Runlog).
 */
export class StoreClient implements StoreCalls {
  readonly ready: Promise<StoreStatus>;
  private readonly worker: Worker;
  private readonly channel: MessageChannel<StoreRequest, StoreEvent, StoreReplies>;
  private exited = false;

  constructor(workerFile: string, data: StoreWorkerData, events: StoreClientEvents = {}) {
    this.worker = new Worker(workerFile, {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: STORE_WORKER_YOUNG_MB },
    });
    let settle: { resolve(status: StoreStatus): void; reject(error: Error): void } | undefined;
    this.ready = new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.channel = new MessageChannel((envelope: Envelope<StoreRequest>) => this.worker.postMessage(envelope), {
      onEvent: (event) => {
        switch (event.type) {
          case 'ready':
            settle?.resolve(event.status);
            break;
          case 'failed':
            settle?.reject(Object.assign(new Error(event.message), { newerVersion: event.newerVersion }));
            break;
          case 'changed':
            events.changed?.(event.runIds);
            break;
          case 'log':
            events.log?.(event.level, event.message);
            break;
        }
      },
      onRequest: () => Promise.reject(new Error('the store worker sends no requests')),
      isMessage: isStoreEvent,
      onInvalid: (reason) => events.log?.('error', `store: dropped a message from the worker (${reason})`),
    });
    this.worker.on('message', (message: unknown) => {
      if ((message as { kind?: unknown } | null)?.kind !== 'closed') this.channel.receive(message);
    });
    this.worker.on('error', (error) => {
      events.log?.('error', `The store worker failed: ${error.message}`);
      settle?.reject(error);
    });
    this.worker.on('exit', () => {
      this.exited = true;
      this.channel.dispose();
      settle?.reject(new Error('the store worker exited'));
    });
    // An unhandled rejection of `ready` would be noise: callers await it and handle the error.
    this.ready.catch(() => undefined);
  }

  /** Calls a store method in the worker. */
  call<K extends StoreMethod>(method: K, ...args: Parameters<StoreApi[K]>): Promise<StoreResult<K>> {
    if (this.exited) return Promise.reject(new Error('the store is closed'));
    return this.channel.request<K>({ type: method, args } as StoreRequest & { readonly type: K });
  }

  /** Saves unsaved changes, releases the lock and stops the worker. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.exited) return;
    const closed = new Promise<void>((resolve) => {
      this.worker.on('message', (message: unknown) => {
        if ((message as { kind?: unknown } | null)?.kind === 'closed') resolve();
      });
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ kind: 'close' });
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    await this.worker.terminate();
  }
}
