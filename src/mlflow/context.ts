import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { appendRunEvents } from '../runs/runEdits';
import type { LoggedModelEvent, RegistryEvent, RunEvent } from '../store/events';
import { encodeWireNumber } from '../store/events';
import { UnsafeRunPath, appendJournal } from '../store/journalAppend';
import { JOURNAL_FILE, MODELS_DIR, REGISTRY_DIR } from '../store/storeLocation';
import type { LoggedModelRecord, RunDetails } from '../store/types';
import { ExperimentJournal } from './experiments';
import type { StoreReads } from './storeReads';
import type { Fields } from './wire';
import { MlflowError, missing } from './wire';

export type LogLevel = 'info' | 'warn' | 'error';

/** A registry or logged-model line; a model's metric values are written as a `metric` event's (NaN as text). */
function sharedLine(event: RegistryEvent | LoggedModelEvent): string {
  if (event.t !== 'logged_model' || !event.metrics) return `${JSON.stringify(event)}\n`;
  return `${JSON.stringify({ ...event, metrics: event.metrics.map((m) => ({ ...m, value: encodeWireNumber(m.value) })) })}\n`;
}

/**
 * What every handler works with. Writes are journal lines appended at once; reads go to the store,
 * which first reads the journals when this endpoint has appended since it last asked, so a client
 * always reads what it wrote.
 */
export class EndpointContext {
  readonly experiments: ExperimentJournal;
  private unsynced = false;

  constructor(
    readonly storeDir: string,
    readonly reads: StoreReads,
    readonly log: (level: LogLevel, message: string) => void,
  ) {
    this.experiments = new ExperimentJournal(storeDir);
  }

  /**
   * Appends to a run's journal (`lines` already encoded go first, in the same write); a run
   * without one does not exist.
   */
  async append(runId: string, events: readonly RunEvent[], lines: string | Uint8Array = ''): Promise<void> {
    try {
      await appendRunEvents(this.storeDir, runId, events, lines);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || /is not a run id/.test((error as Error).message)) {
        throw missing(`Run '${runId}' not found.`);
      }
      if (error instanceof UnsafeRunPath) {
        this.log('warn', `MLflow endpoint: ${error.message}; nothing was written.`);
        throw missing(`Run '${runId}' not found: ${error.message}.`);
      }
      throw error;
    }
    this.unsynced = true;
  }

  /**
   * Appends to the registry journal. Version numbers are left to the journal's order (a
   * `create_version` without `version` is the next one), so a line never contradicts what the
   * Python client numbered under the registry lock (Node has no flock).
   */
  appendRegistry(events: readonly RegistryEvent[]): Promise<void> {
    return this.appendShared(REGISTRY_DIR, events);
  }

  /** Appends to the logged models journal (`models/events.jsonl`, journal format 3). */
  appendModels(events: readonly LoggedModelEvent[]): Promise<void> {
    return this.appendShared(MODELS_DIR, events);
  }

  private async appendShared(folder: string, events: readonly (RegistryEvent | LoggedModelEvent)[]): Promise<void> {
    const dir = join(this.storeDir, folder);
    await mkdir(dir, { recursive: true });
    await appendJournal(join(dir, JOURNAL_FILE), events.map(sharedLine).join(''), { create: true });
    this.unsynced = true;
  }

  /** A logged model that exists (not deleted); RESOURCE_DOES_NOT_EXIST otherwise. */
  async loggedModel(modelId: string): Promise<LoggedModelRecord> {
    await this.fresh();
    const [found] = await this.reads.query('loggedModels', { ids: [modelId] });
    if (!found) throw missing(`Logged model with ID '${modelId}' not found.`);
    return found;
  }

  /** Marks the store as behind the journals (a run folder created by hand, an artifact written). */
  touched(): void {
    this.unsynced = true;
  }

  /** Brings the store up to what this endpoint wrote. */
  async fresh(): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    await this.reads.sync();
  }

  async run(runId: string): Promise<RunDetails> {
    await this.fresh();
    const run = await this.reads.getRun(runId);
    if (!run) throw missing(`Run '${runId}' not found.`);
    return run;
  }

  /** The MLflow id of the experiment a run is filed under (given one the first time it is seen). */
  async experimentIdOf(name: string): Promise<string> {
    const id = (await this.experiments.ensure([name])).get(name)?.id;
    if (id === undefined) throw new MlflowError('INTERNAL_ERROR', `Experiment '${name}' has no id.`);
    return id;
  }
}

export type Handler = (context: EndpointContext, fields: Fields) => Promise<object>;

/**
 * A route's answer straight from the raw body, for a body in a shape it reads faster than JSON.parse
 * (log-batch's points); undefined when the body is not in that shape and takes the general path.
 */
export type FastBody = (context: EndpointContext, body: Buffer, query: Fields) => Promise<object> | undefined;

/** Answers with a JSON body; a response already under way (a download that failed) is cut off instead. */
export function sendJson(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A route that answers with a stream rather than JSON (the `mlflow-artifacts` proxy). */
export type StreamHandler = (
  context: EndpointContext,
  params: Readonly<Record<string, string>>,
  query: Fields,
  exchange: { readonly req: IncomingMessage; readonly res: ServerResponse; readonly uploadLimit: number },
) => Promise<void>;

/** One method set of a path: a JSON handler (request fields in, response object out) or a stream. */
export type Route =
  | { readonly methods: readonly string[]; readonly handler: Handler; readonly fastBody?: FastBody }
  | { readonly methods: readonly string[]; readonly stream: StreamHandler };

/** A handler module's routes by path (relative to `mlflow/` or `mlflow-artifacts/`); a path served by several handlers lists them. */
export type RouteSet = Readonly<Record<string, Route | readonly Route[]>>;
