import type { QueryArgs, QueryName, QueryResult } from './storeQueries';

/**
 * What the extension host may ask the store worker: every query of the store (storeQueries.ts,
 * under its name and with its arguments after the database) and the service's own calls. Each
 * becomes a request message `{ type: <method>, args: [...] }` and its (awaited) return value the
 * reply; typed arrays cross the thread boundary by structured clone. Only types come from
 * storeQueries.ts: the host's bundle carries no query code.
 */
export type StoreApi = { [K in QueryName]: (...args: QueryArgs<K>) => QueryResult<K> } & ServiceCalls;

/** What the service does besides answering queries. */
export interface ServiceCalls {
  /** Reads the journals now instead of at the next change notice; returns the runs that changed. */
  sync(): Promise<string[]>;
  /** Writes the database file now if this process is the writer; returns whether it wrote. */
  snapshot(): Promise<boolean>;
  /** Whether this process holds the store lock. */
  status(): StoreStatus;
}

export interface StoreStatus {
  readonly dir: string;
  readonly writer: boolean;
  readonly recoveredFrom: string | undefined;
}

export type StoreMethod = keyof StoreApi;
export type StoreResult<K extends StoreMethod> = Awaited<ReturnType<StoreApi[K]>>;

/** Who answers StoreApi calls by name: the host's StoreClient (through the worker), or a StoreService in this process. */
export interface StoreCalls {
  call<K extends StoreMethod>(method: K, ...args: Parameters<StoreApi[K]>): Promise<StoreResult<K>>;
}

export type StoreRequest = {
  [K in StoreMethod]: { readonly type: K; readonly args: Parameters<StoreApi[K]> };
}[StoreMethod];

/** What the worker tells the host without being asked. */
export type StoreEvent =
  | { readonly type: 'ready'; readonly status: StoreStatus }
  | { readonly type: 'failed'; readonly message: string; readonly newerVersion: boolean }
  | { readonly type: 'changed'; readonly runIds: readonly string[] }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string };

export function isStoreEvent(value: unknown): value is StoreEvent {
  const v = value as { type?: unknown } | null;
  return typeof v === 'object' && v !== null && ['ready', 'failed', 'changed', 'log'].includes(v.type as string);
}

/** How a store service runs; the host passes these to the worker when it starts it. */
export interface ServiceOptions {
  readonly dir: string;
  readonly version: string;
  readonly wasmFile?: string;
  /** Snapshot this long after changes settle… */
  readonly settleMs?: number;
  /** …and at least this often while they keep coming. */
  readonly maxDelayMs?: number;
  /** Safety-net rescan of every journal, in case a change notice was missed. */
  readonly pollMs?: number;
  /** How often the lock is renewed (or, by a reader, tried). */
  readonly heartbeatMs?: number;
  /** How often sealed runs' journals are looked at for compaction (default 60 s; 0: never). */
  readonly compactMs?: number;
  /** A journal is compacted only once untouched this long (default 60 s). */
  readonly compactQuietMs?: number;
  /** How often runs whose process died are looked for (default 30 s). */
  readonly reconcileMs?: number;
}

export type StoreWorkerData = ServiceOptions;
