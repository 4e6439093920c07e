import { lstat, mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomicFile';
import type { IngestStats, Rejection } from './ingest';
import type {
  InsightQuery,
  LatestMetric,
  MetricInsight,
  ParamHistory,
  ParamHistoryQuery,
  ScriptSummary,
  ScriptSummaryQuery,
} from './insightQueries';
import { latestMetrics, metricInsights, paramHistory, scriptSummary } from './insightQueries';
import { REGISTRY_JOURNAL, RUN_PINNED_TAG, ingestChunk, ingestRegistryChunk } from './ingest';
import type { JournalChunk } from './journal';
import { findLineEnd, readJournal, skippedLineChunk } from './journal';
import type { Buckets, Range, SeriesSummaryRow, XAxis } from './metrics';
import { bucketStoredSeries, readSeries } from './metrics';
import type { ChartExtent, ChartRunSeries, ChartSeriesQuery, ChartX } from './chartData';
import { chartExtent, chartSeries } from './chartData';
import type { PointColumns } from './chunkCodec';
import { parseFilter } from './filter';
import { compileFilter } from './filterCompile';
import { NewerStoreError, migrate } from './schema';
import type { SqlValue } from './sqlite';
import { Db } from './sqlite';
import { removeStaleTemp } from './storeTemp';
import type { RunStatus } from './events';
import type {
  RunRecord,
  MetricSummary,
  GitState,
  RunDetails,
  LoggedModel,
  ModelVersion,
  RegisteredModel,
  Experiment,
  RunGrouping,
  RunGroup,
  RunSort,
  ListRunsQuery,
  LineageChange,
  RunPage,
  RunEnvironment,
} from './types';

export const DB_FILE = 'runlog.db';
export const RUNS_DIR = 'runs';
export const JOURNAL_FILE = 'events.jsonl';
export const REGISTRY_DIR = 'registry';
/** Journals are read in pieces of this size, so replaying a huge one never needs it all in memory. */
const READ_PIECE = 32 * 1024 * 1024;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

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

interface EnvironmentRow {
  run_id: string;
  recorded: number;
  python_version: string;
  python_implementation: string | null;
  executable: string | null;
  platform: string | null;
  system: string | null;
  machine: string | null;
  packages: string;
  gpu: string | null;
}

/** How many parents up a child run looks for the environment of the process it ran in. */
const ENVIRONMENT_ANCESTORS = 8;

export interface SyncResult {
  readonly changedRuns: string[];
  readonly stats: IngestStats;
}

interface RunRow {
  id: string;
  name: string;
  experiment_id: number;
  experiment: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  command: string | null;
  cwd: string | null;
  entry_point: string | null;
  source: string | null;
  exit_code: number | null;
  error: string | null;
  user: string | null;
  parent_run_id: string | null;
  deleted: number;
  pinned: number;
  git_commit: string | null;
  git_branch: string | null;
  git_dirty: number | null;
}

const RUN_COLUMNS = `r.id, r.name, r.experiment_id, e.name AS experiment, r.status, r.start_time, r.end_time, r.command,
  r.cwd, r.entry_point, r.source, r.exit_code, r.error, r.user, r.parent_run_id, r.deleted,
  EXISTS (SELECT 1 FROM tags pin WHERE pin.run_id = r.id AND pin.key = '${RUN_PINNED_TAG}') AS pinned,
  (SELECT g.commit_sha FROM git_state g WHERE g.run_id = r.id) AS git_commit,
  (SELECT g.branch FROM git_state g WHERE g.run_id = r.id) AS git_branch,
  (SELECT g.dirty FROM git_state g WHERE g.run_id = r.id) AS git_dirty`;

/** The SQL value a run is grouped by, for `runGroups` and `ListRunsQuery.group`. */
const GROUP_VALUE: Readonly<Record<RunGrouping, string>> = {
  branch: '(SELECT gs.branch FROM git_state gs WHERE gs.run_id = r.id)',
  commit: '(SELECT gs.commit_sha FROM git_state gs WHERE gs.run_id = r.id)',
  status: 'r.status',
};

function toEnvironment(row: EnvironmentRow): RunEnvironment {
  const gpu = row.gpu
    ? (JSON.parse(row.gpu) as {
        driver_version?: string;
        cuda_version?: string;
        devices: { name: string; memory_total_megabytes?: number }[];
      })
    : null;
  return {
    runId: row.run_id,
    recorded: row.recorded,
    pythonVersion: row.python_version,
    pythonImplementation: row.python_implementation,
    executable: row.executable,
    platform: row.platform,
    system: row.system,
    machine: row.machine,
    packages: JSON.parse(row.packages) as Record<string, string>,
    gpu: gpu
      ? {
          driverVersion: gpu.driver_version ?? null,
          cudaVersion: gpu.cuda_version ?? null,
          devices: gpu.devices.map((d) => ({ name: d.name, memoryTotalMegabytes: d.memory_total_megabytes ?? null })),
        }
      : null,
  };
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    name: row.name,
    experimentId: row.experiment_id,
    experiment: row.experiment,
    status: row.status,
    startTime: row.start_time,
    endTime: row.end_time,
    command: row.command,
    cwd: row.cwd,
    entryPoint: row.entry_point,
    source: row.source,
    exitCode: row.exit_code,
    error: row.error,
    user: row.user,
    parentRunId: row.parent_run_id,
    deleted: row.deleted !== 0,
    pinned: row.pinned !== 0,
    git:
      row.git_commit === null
        ? null
        : { commit: row.git_commit, branch: row.git_branch, dirty: row.git_dirty !== null && row.git_dirty !== 0 },
  };
}

const nan = (value: number | null): number => (value === null ? Number.NaN : value);

function toSummary(row: SeriesSummaryRow): MetricSummary {
  return {
    key: row.key,
    count: row.count,
    last: nan(row.last),
    lastStep: row.last_step,
    lastTime: row.last_time,
    min: nan(row.min),
    max: nan(row.max),
  };
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * The run store: an in-memory sql.js database fed from the run journals, persisted by atomic
 * snapshots. The journals are the write-ahead log: the database records how far it has read each
 * one, and `open` replays whatever the snapshot lacks. No SQL lives outside src/store/.
 */
export class RunStore {
  private dirty = false;
  private writer: boolean;
  /** Journals (by run id) stopped at a long line without an end yet: where, and how far it was searched. */
  private readonly longLines = new Map<string, { offset: number; searchedTo: number }>();
  /** Run folders skipped because they are symbolic links, each reported once. */
  private readonly skippedLinks = new Set<string>();
  private readonly log: (message: string) => void;

  private constructor(
    private readonly db: Db,
    readonly options: StoreOptions,
    /** Where a corrupt database was moved aside, when it was. */
    readonly recoveredFrom: string | undefined,
  ) {
    this.log = options.log ?? (() => undefined);
    this.writer = options.writer;
  }

  /** Whether this process may write `runlog.db` (it holds the lock). Changes when the lock does. */
  get isWriter(): boolean {
    return this.writer;
  }

  setWriter(writer: boolean): void {
    this.writer = writer;
  }

  static async open(options: StoreOptions): Promise<RunStore> {
    const log = options.log ?? (() => undefined);
    const file = join(options.dir, DB_FILE);
    let data: Uint8Array | undefined;
    let unreadable: string | undefined;
    try {
      data = await readFile(file);
    } catch (error) {
      // A folder or a file we may not read where the database should be: as bad as a corrupt one.
      if (!isMissing(error)) unreadable = error instanceof Error ? error.message : String(error);
    }
    let db: Db | undefined;
    if (data && data.length > 0) {
      try {
        db = await Db.open(data, options.wasmFile);
        const check = db.get<{ quick_check: string }>('PRAGMA quick_check(1)');
        if (check?.quick_check !== 'ok') throw new Error(`integrity check: ${check?.quick_check ?? 'no answer'}`);
        migrate(db, options.version);
      } catch (error) {
        db?.close();
        db = undefined;
        if (error instanceof NewerStoreError) throw error;
        unreadable = error instanceof Error ? error.message : String(error);
      }
    }
    let recoveredFrom: string | undefined;
    if (unreadable !== undefined) {
      if (options.writer) {
        const aside = join(options.dir, `${DB_FILE}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`);
        try {
          await rename(file, aside);
          recoveredFrom = aside;
          log(
            `The run database was unreadable (${unreadable}); moved it to ${aside} and rebuilt it from the run journals.`,
          );
        } catch (error) {
          log(
            `The run database is unreadable (${unreadable}) and could not be moved aside (${(error as Error).message}); reading the run journals instead.`,
          );
        }
      } else {
        log(`The run database is unreadable (${unreadable}); reading the run journals instead.`);
      }
    }
    if (!db) {
      db = await Db.open(undefined, options.wasmFile);
      migrate(db, options.version);
    }
    const store = new RunStore(db, options, recoveredFrom);
    // Nothing is written until there is something to keep: opening never creates the folder.
    store.dirty = recoveredFrom !== undefined;
    if (options.writer) {
      // Uploads cut short by a crash or a kill of their process: nobody will finish them.
      const removed = await removeStaleTemp(options.dir);
      if (removed > 0) log(`Removed ${removed} temporary file(s) left by processes that are gone.`);
    }
    await store.syncJournals();
    return store;
  }

  /** Ingests whatever the journals hold beyond what the database has read. */
  async syncJournals(onlyRuns?: readonly string[]): Promise<SyncResult> {
    const runsDir = join(this.options.dir, RUNS_DIR);
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
        .all<{ run_id: string; offset: number; line: number }>('SELECT run_id, offset, line FROM journals')
        .map((row) => [row.run_id, row]),
    );
    const changedRuns: string[] = [];
    let events = 0;
    let points = 0;
    const rejected: Rejection[] = [];
    for (const runId of ids) {
      const file = join(runsDir, runId, JOURNAL_FILE);
      let size: number;
      try {
        if (onlyRuns && !this.isRealFolder(runId, !(await lstat(join(runsDir, runId))).isSymbolicLink())) continue;
        const info = await lstat(file);
        if (!this.isRealFolder(runId, !info.isSymbolicLink(), 'journal')) continue;
        size = info.size;
      } catch (error) {
        if (!isMissing(error)) throw error;
        if (positions.has(runId)) {
          this.forgetRun(runId);
          changedRuns.push(runId);
        }
        continue;
      }
      let position = positions.get(runId) ?? { offset: 0, line: 1 };
      if (size < position.offset) {
        this.log(`The journal of run ${runId} got shorter than what was read of it; reading it again from the start.`);
        this.forgetRun(runId);
        position = { offset: 0, line: 1 };
      }
      let changed = false;
      while (position.offset < size) {
        let chunk = await readJournal(file, position.offset, position.line, READ_PIECE);
        if (chunk.nextOffset === position.offset) {
          if (size - position.offset < READ_PIECE) break;
          const skipped = await this.skipLongLine(runId, file, position);
          if (!skipped) break;
          chunk = skipped;
        }
        const stats = ingestChunk(this.db, runId, chunk);
        events += stats.events;
        points += stats.points;
        rejected.push(...stats.rejected);
        position = { offset: chunk.nextOffset, line: chunk.nextLine };
        changed = true;
      }
      if (changed) changedRuns.push(runId);
    }
    if (!onlyRuns) {
      // A run whose folder is gone was deleted for good (here or by another window): forget it.
      const present = new Set(ids);
      for (const runId of positions.keys()) {
        if (runId === REGISTRY_JOURNAL || present.has(runId)) continue;
        this.forgetRun(runId);
        changedRuns.push(runId);
      }
    }
    const registry = await this.syncRegistry(positions.get(REGISTRY_JOURNAL));
    if (registry) {
      events += registry.events;
      rejected.push(...registry.rejected);
      changedRuns.push(REGISTRY_JOURNAL);
    }
    for (const r of rejected) {
      this.log(
        r.runId === REGISTRY_JOURNAL
          ? `Registry journal line ${r.line}: ${r.reason}`
          : `Run ${r.runId}, journal line ${r.line}: ${r.reason}`,
      );
    }
    if (changedRuns.length > 0) this.dirty = true;
    return { changedRuns, stats: { events, points, rejected } };
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
  private async skipLongLine(
    journal: string,
    file: string,
    at: { offset: number; line: number },
  ): Promise<JournalChunk | undefined> {
    const searched = this.longLines.get(journal);
    const from = searched?.offset === at.offset ? searched.searchedTo : at.offset + READ_PIECE;
    const end = await findLineEnd(file, from);
    if (end === -1) {
      const size = (await stat(file)).size;
      if (searched?.offset !== at.offset) {
        this.log(
          `${journal === REGISTRY_JOURNAL ? 'The registry journal' : `Run ${journal}'s journal`} has a line of over ${READ_PIECE} bytes at line ${at.line} that has no end yet; it will be skipped when it ends.`,
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
  private async syncRegistry(position: { offset: number; line: number } | undefined): Promise<IngestStats | undefined> {
    const file = join(this.options.dir, REGISTRY_DIR, JOURNAL_FILE);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    let at = position ?? { offset: 0, line: 1 };
    if (size < at.offset) {
      this.log('The registry journal got shorter than what was read of it; reading it again from the start.');
      this.db.transaction(() => {
        for (const table of ['model_aliases', 'model_versions', 'registered_models'])
          this.db.run(`DELETE FROM ${table}`);
        this.db.run('DELETE FROM rejected_events WHERE run_id = ?', [REGISTRY_JOURNAL]);
      });
      at = { offset: 0, line: 1 };
    }
    if (size === at.offset) return undefined;
    let events = 0;
    const rejected: Rejection[] = [];
    while (at.offset < size) {
      let chunk = await readJournal(file, at.offset, at.line, READ_PIECE);
      if (chunk.nextOffset === at.offset) {
        const skipped = size - at.offset < READ_PIECE ? undefined : await this.skipLongLine(REGISTRY_JOURNAL, file, at);
        if (!skipped) break;
        chunk = skipped;
      }
      const stats = ingestRegistryChunk(this.db, chunk);
      events += stats.events;
      rejected.push(...stats.rejected);
      at = { offset: chunk.nextOffset, line: chunk.nextLine };
    }
    return { events, points: 0, rejected };
  }

  /** Drops everything known about a run (its journal will be read again from the start). */
  private forgetRun(runId: string): void {
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
        'journals',
        'rejected_events',
      ]) {
        this.db.run(`DELETE FROM ${table} WHERE run_id = ?`, [runId]);
      }
      this.db.run('DELETE FROM runs WHERE id = ?', [runId]);
    });
  }

  get hasUnsavedChanges(): boolean {
    return this.dirty;
  }

  /** Writes the database file atomically, if anything changed since the last snapshot. */
  async snapshot(): Promise<boolean> {
    if (!this.writer || !this.dirty) return false;
    const image = this.db.export();
    this.dirty = false;
    try {
      await ensureStoreDir(this.options.dir);
      await writeFileAtomic(join(this.options.dir, DB_FILE), image);
    } catch (error) {
      this.dirty = true;
      throw error;
    }
    return true;
  }

  experiments(): Experiment[] {
    return this.db
      .all<{ id: number; name: string; runs: number }>(
        `SELECT e.id, e.name, COUNT(r.id) AS runs FROM experiments e
         LEFT JOIN runs r ON r.experiment_id = e.id AND r.deleted = 0
         WHERE e.deleted = 0 GROUP BY e.id ORDER BY e.name`,
      )
      .map((row) => ({ id: row.id, name: row.name, runCount: row.runs }));
  }

  listRuns(query: ListRunsQuery = {}): RunPage {
    const { whereSql, params } = runConditions(query);
    const total = this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM runs r ${whereSql}`, params)?.n ?? 0;

    const { join: sortJoin, order, params: sortParams } = sortClauses([query.sort, ...(query.thenBy ?? [])]);
    const pinned = query.pinnedFirst ? 'pinned DESC, ' : '';
    const rows = this.db.all<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id ${sortJoin}
       ${whereSql} ORDER BY ${pinned}${order}, r.id LIMIT ? OFFSET ?`,
      [...sortParams, ...params, query.limit ?? -1, query.offset ?? 0],
    );
    return { runs: rows.map(toRun), total };
  }

  /** The branches, commits or statuses of the runs a query selects, with how many runs each has. */
  runGroups(by: RunGrouping, query: Omit<ListRunsQuery, 'group' | 'sort' | 'offset' | 'limit'> = {}): RunGroup[] {
    const { whereSql, params } = runConditions(query);
    const value = GROUP_VALUE[by];
    return this.db
      .all<{ value: string | null; n: number }>(
        `SELECT ${value} AS value, COUNT(*) AS n FROM runs r ${whereSql} GROUP BY 1
         ORDER BY value IS NULL, ${by === 'commit' ? 'MAX(r.start_time) DESC' : 'value COLLATE NOCASE'}`,
        params,
      )
      .map((row) => ({ value: row.value, runCount: row.n }));
  }

  getRun(runId: string): RunDetails | undefined {
    const row = this.db.get<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?`,
      [runId],
    );
    if (!row) return undefined;
    const pairs = (table: string): Record<string, string> =>
      Object.fromEntries(
        this.db
          .all<{ key: string; value: string }>(`SELECT key, value FROM ${table} WHERE run_id = ? ORDER BY key`, [runId])
          .map((p) => [p.key, p.value]),
      );
    const git = this.db.get<{
      commit_sha: string;
      branch: string | null;
      remote: string | null;
      dirty: number;
      patch: string;
      untracked: string;
    }>('SELECT commit_sha, branch, remote, dirty, patch, untracked FROM git_state WHERE run_id = ?', [runId]);
    return {
      ...toRun(row),
      params: pairs('params'),
      tags: pairs('tags'),
      metrics: this.metricSummaries([runId]).get(runId) ?? [],
      git: git
        ? {
            commit: git.commit_sha,
            branch: git.branch,
            remote: git.remote,
            dirty: git.dirty !== 0,
            patch: git.patch,
            untracked: JSON.parse(git.untracked) as GitState['untracked'],
          }
        : null,
      artifacts: this.db.all('SELECT path, size, sha256 FROM artifacts WHERE run_id = ? ORDER BY path', [runId]),
      inputs: this.db
        .all<{ name: string; path: string; digest: string; shape: string | null; columns: string | null }>(
          'SELECT name, path, digest, shape, columns FROM inputs WHERE run_id = ? ORDER BY name, path',
          [runId],
        )
        .map(({ shape, columns, ...input }) => ({
          ...input,
          ...(shape ? { shape: JSON.parse(shape) as number[] } : {}),
          ...(columns ? { columns: JSON.parse(columns) as string[] } : {}),
        })),
      rejected: this.db.all('SELECT line, reason FROM rejected_events WHERE run_id = ? ORDER BY line', [runId]),
      models: this.db
        .all<{ name: string; flavor: string; uuid: string; created: number; signature: string | null; files: string }>(
          'SELECT name, flavor, uuid, created, signature, files FROM models WHERE run_id = ? ORDER BY name',
          [runId],
        )
        .map((m) => ({ ...m, files: JSON.parse(m.files) as LoggedModel['files'] })),
      environment: this.environment(runId, row.parent_run_id),
    };
  }

  /**
   * A run's environment: its own `environment` event, else the nearest parent's (a child run logged
   * by the same process records none of its own).
   */
  private environment(runId: string, parentRunId: string | null): RunEnvironment | null {
    let id: string | null = runId;
    let parent = parentRunId;
    for (let hops = 0; id !== null && hops <= ENVIRONMENT_ANCESTORS; hops++) {
      const row = this.db.get<EnvironmentRow>('SELECT * FROM environments WHERE run_id = ?', [id]);
      if (row) return toEnvironment(row);
      id = parent;
      parent =
        id === null
          ? null
          : (this.db.get<{ parent_run_id: string | null }>('SELECT parent_run_id FROM runs WHERE id = ?', [id])
              ?.parent_run_id ?? null);
    }
    return null;
  }

  /** Metric summaries of many runs at once (for a page of the Runs view). */
  metricSummaries(runIds: readonly string[]): Map<string, MetricSummary[]> {
    const result = new Map<string, MetricSummary[]>();
    if (runIds.length === 0) return result;
    const rows = this.db.all<SeriesSummaryRow & { run_id: string }>(
      `SELECT run_id, key, count, last, last_step, last_time, min, max FROM metric_series
       WHERE run_id IN (${runIds.map(() => '?').join(', ')}) ORDER BY run_id, key`,
      [...runIds],
    );
    for (const row of rows) {
      const list = result.get(row.run_id);
      if (list) list.push(toSummary(row));
      else result.set(row.run_id, [toSummary(row)]);
    }
    return result;
  }

  /** Params of many runs at once. */
  params(runIds: readonly string[]): Map<string, Record<string, string>> {
    const result = new Map<string, Record<string, string>>();
    if (runIds.length === 0) return result;
    for (const row of this.db.all<{ run_id: string; key: string; value: string }>(
      `SELECT run_id, key, value FROM params WHERE run_id IN (${runIds.map(() => '?').join(', ')}) ORDER BY key`,
      [...runIds],
    )) {
      const map = result.get(row.run_id) ?? {};
      map[row.key] = row.value;
      result.set(row.run_id, map);
    }
    return result;
  }

  /** The model registry: every registered model with its live versions and their aliases. */
  registeredModels(): RegisteredModel[] {
    const aliases = new Map<string, string[]>();
    for (const row of this.db.all<{ model: string; alias: string; version: number }>(
      'SELECT model, alias, version FROM model_aliases ORDER BY alias',
    )) {
      const key = `${row.model}\0${row.version}`;
      aliases.set(key, [...(aliases.get(key) ?? []), row.alias]);
    }
    const versions = new Map<string, ModelVersion[]>();
    for (const row of this.db.all<{
      model: string;
      version: number;
      run_id: string | null;
      source: string | null;
      created: number;
      description: string | null;
    }>(
      'SELECT model, version, run_id, source, created, description FROM model_versions WHERE deleted = 0 ORDER BY version DESC',
    )) {
      const list = versions.get(row.model) ?? [];
      list.push({
        version: row.version,
        runId: row.run_id,
        source: row.source,
        created: row.created,
        description: row.description,
        aliases: aliases.get(`${row.model}\0${row.version}`) ?? [],
      });
      versions.set(row.model, list);
    }
    return this.db
      .all<{ name: string; created: number; updated: number; description: string | null }>(
        'SELECT name, created, updated, description FROM registered_models ORDER BY name',
      )
      .map((m) => ({ ...m, versions: versions.get(m.name) ?? [] }));
  }

  /**
   * Data lineage of relaunched runs: for each of these runs that reran or reproduced another
   * (tags `runlog.rerun_of`, `reproduces`), the inputs it read whose digest differs from the
   * original's input of the same name. Runs with no such change are left out.
   */
  lineage(runIds: readonly string[]): [string, LineageChange][] {
    const result: [string, LineageChange][] = [];
    for (const runId of runIds) {
      const origin = this.db.get<{ value: string }>(
        "SELECT value FROM tags WHERE run_id = ? AND key IN ('reproduces', 'runlog.rerun_of') ORDER BY key LIMIT 1",
        [runId],
      );
      if (!origin) continue;
      const changed = this.db.all<{ name: string; path: string; was: string; now: string }>(
        `SELECT n.name, n.path, o.digest AS was, n.digest AS now FROM inputs n
         JOIN inputs o ON o.run_id = ? AND o.name = n.name
         WHERE n.run_id = ? AND o.digest != n.digest ORDER BY n.name`,
        [origin.value, runId],
      );
      if (changed.length > 0) result.push([runId, { original: origin.value, inputs: changed }]);
    }
    return result;
  }

  /**
   * Where each of a run's metrics reached its minimum and maximum (the first step that did), from
   * every point: for the Runs view's Metrics rows, so it decodes one run's series only when asked.
   */
  extremeSteps(runId: string): [string, { minStep: number | null; maxStep: number | null }][] {
    const keys = this.db
      .all<{ key: string }>('SELECT key FROM metric_series WHERE run_id = ? ORDER BY key', [runId])
      .map((row) => row.key);
    return keys.map((key) => {
      const { steps, values } = readSeries(this.db, runId, key);
      let min = -1;
      let max = -1;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (Number.isNaN(v)) continue;
        if (min === -1 || v < values[min]) min = i;
        if (max === -1 || v > values[max]) max = i;
      }
      return [key, { minStep: min === -1 ? null : steps[min], maxStep: max === -1 ? null : steps[max] }];
    });
  }

  /** The x range a chart of `key` over these runs needs. */
  chartExtent(runIds: readonly string[], key: string, x: ChartX): ChartExtent | null {
    return chartExtent(this.db, runIds, key, x);
  }

  /** The runs' series of `key` on one shared bucket grid (see chartData.ts). */
  chartSeries(query: ChartSeriesQuery): ChartRunSeries[] {
    return chartSeries(this.db, query);
  }

  /** Metrics as the editor shows them in a script: latest value, best across runs, recent runs. */
  metricInsights(query: InsightQuery): MetricInsight[] {
    return metricInsights(this.db, query);
  }

  /** Each key's value in the latest run that logged it, for inline values. */
  latestMetrics(query: { readonly script?: string; readonly keys: readonly string[] }): LatestMetric[] {
    return latestMetrics(this.db, query);
  }

  /** A script's runs and its key metric, for the summary lens above it. */
  scriptSummary(query: ScriptSummaryQuery): ScriptSummary {
    return scriptSummary(this.db, query);
  }

  /** The values a parameter took in recent runs, each with the key metric the run reached. */
  paramHistory(query: ParamHistoryQuery): ParamHistory {
    return paramHistory(this.db, query);
  }

  /** Runs that are RUNNING or QUEUED and name the process they depend on. */
  runsInFlight(): { id: string; pid: number; host: string | null }[] {
    return this.db.all(
      "SELECT id, pid, host FROM runs WHERE status IN ('RUNNING', 'QUEUED') AND pid IS NOT NULL AND deleted = 0",
    );
  }

  /** Every metric key (or param key) in use, for columns, sort menus and hovers. */
  keys(kind: 'metrics' | 'params'): string[] {
    const table = kind === 'metrics' ? 'metric_series' : 'params';
    return this.db.all<{ key: string }>(`SELECT DISTINCT key FROM ${table} ORDER BY key`).map((row) => row.key);
  }

  /** The full-resolution points of one series, optionally within an x range. */
  series(runId: string, key: string, x: XAxis = 'step', range?: Range): PointColumns {
    return readSeries(this.db, runId, key, x, range);
  }

  /** A downsampled series: min, max and last per bucket, `buckets` (≤ 4000) across the range. */
  buckets(runId: string, key: string, buckets: number, x: XAxis = 'step', range?: Range): Buckets {
    return bucketStoredSeries(this.db, runId, key, buckets, x, range);
  }

  close(): void {
    this.db.close();
  }
}

/** The WHERE clause of a run query, without its order and page. */
function runConditions(query: Omit<ListRunsQuery, 'sort' | 'offset' | 'limit'>): {
  whereSql: string;
  params: SqlValue[];
} {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const list = (values: readonly SqlValue[]): string => values.map(() => '?').join(', ');
  const deleted = query.deleted ?? 'active';
  if (deleted !== 'all') where.push(deleted === 'active' ? 'r.deleted = 0' : 'r.deleted = 1');
  if (query.experimentIds && query.experimentIds.length > 0) {
    where.push(`r.experiment_id IN (${list(query.experimentIds)})`);
    params.push(...query.experimentIds);
  }
  if (query.runIds) {
    where.push(`r.id IN (${list(query.runIds)})`);
    params.push(...query.runIds);
  }
  if (query.statuses) {
    where.push(`r.status IN (${list(query.statuses)})`);
    params.push(...query.statuses);
  }
  if (query.group) {
    where.push(`${GROUP_VALUE[query.group.by]} IS ?`);
    params.push(query.group.value);
  }
  if (query.filter) {
    const compiled = compileFilter(parseFilter(query.filter), { now: Date.now() });
    where.push(compiled.sql);
    params.push(...compiled.params);
  }
  return { whereSql: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** The ORDER BY of several sorts, each metric or param through a join of its own. */
function sortClauses(sorts: readonly (RunSort | undefined)[]): { join: string; order: string; params: SqlValue[] } {
  const parts = sorts.map((sort, i) => sortClause(sort, i));
  return {
    join: parts.map((p) => p.join).join(' '),
    order: parts.map((p) => p.order).join(', '),
    params: parts.flatMap((p) => p.params),
  };
}

function sortClause(sort: RunSort | undefined, index: number): { join: string; order: string; params: SqlValue[] } {
  const direction = sort?.descending === false ? 'ASC' : 'DESC';
  const key = sort?.key ?? 'start_time';
  if (key.startsWith('metrics.')) {
    // The value arrives from another thread: only these three column names reach the SQL.
    const m = `sort_m${index}`;
    const column = sort?.value === 'min' ? `${m}.min` : sort?.value === 'max' ? `${m}.max` : `${m}.last`;
    return {
      join: `LEFT JOIN metric_series ${m} ON ${m}.run_id = r.id AND ${m}.key = ?`,
      order: `${column} IS NULL, ${column} ${direction}`,
      params: [key.slice('metrics.'.length)],
    };
  }
  if (key.startsWith('tags.')) {
    const t = `sort_t${index}`;
    return {
      join: `LEFT JOIN tags ${t} ON ${t}.run_id = r.id AND ${t}.key = ?`,
      order: `${t}.value IS NULL, ${t}.value ${direction}`,
      params: [key.slice('tags.'.length)],
    };
  }
  if (key.startsWith('params.')) {
    const p = `sort_p${index}`;
    return {
      join: `LEFT JOIN params ${p} ON ${p}.run_id = r.id AND ${p}.key = ?`,
      order: `${p}.value IS NULL, CAST(${p}.value AS REAL) ${direction}, ${p}.value ${direction}`,
      params: [key.slice('params.'.length)],
    };
  }
  const column =
    key === 'name'
      ? 'r.name COLLATE NOCASE'
      : key === 'status'
        ? 'r.status'
        : key === 'end_time'
          ? `r.end_time IS NULL, r.end_time`
          : key === 'duration'
            ? `(COALESCE(r.end_time, ${Date.now()}) - r.start_time)`
            : 'r.start_time';
  return { join: '', order: `${column} ${direction}`, params: [] };
}

/** Creates the store folder with a `.gitignore` of `*`, so runs never slip into the user's git history. */
async function ensureStoreDir(dir: string): Promise<void> {
  await mkdir(join(dir, RUNS_DIR), { recursive: true });
  try {
    await writeFile(join(dir, '.gitignore'), '*\n', { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
