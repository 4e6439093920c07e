import initSqlJs from 'sql.js';

export type SqlValue = initSqlJs.SqlValue;
type SqlJs = initSqlJs.SqlJsStatic;
type Statement = initSqlJs.Statement;

const loaded = new Map<string, Promise<SqlJs>>();

/**
 * Loads sql.js once per process. `wasmFile` is where `sql-wasm.wasm` is (the bundle ships it in
 * dist/); without it sql.js looks next to its own script, which is right when run from node_modules.
 */
export function loadSqlJs(wasmFile?: string): Promise<SqlJs> {
  const key = wasmFile ?? '';
  let promise = loaded.get(key);
  if (!promise) {
    promise = initSqlJs(wasmFile ? { locateFile: () => wasmFile } : undefined);
    loaded.set(key, promise);
  }
  return promise;
}

/** A thin layer over a sql.js database: cached prepared statements, typed rows, transactions. */
export class Db {
  private readonly statements = new Map<string, Statement>();
  private writes = 0;

  constructor(private readonly raw: initSqlJs.Database) {}

  static async open(data?: Uint8Array, wasmFile?: string): Promise<Db> {
    const sql = await loadSqlJs(wasmFile);
    const db = new Db(new sql.Database(data));
    // The rollback journal in SQLite's own (reused) memory, not a file of sql.js's in-memory file
    // system: that file, made again for every transaction, left megabytes of buffers a second to the
    // garbage collector (issue 20's peak RSS). The database is in memory either way; a crash loses
    // the process, not a half-written file, and ROLLBACK works the same.
    db.exec('PRAGMA journal_mode = MEMORY');
    return db;
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.raw.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * A number that changes whenever the data may have: queries that keep an answer between calls
   * (the runs table's row order while it is scrolled) keep it only while this stays the same.
   */
  get generation(): number {
    return this.writes;
  }

  /** Runs one statement, reusing its prepared form. */
  run(sql: string, params: SqlValue[] = []): void {
    this.writes++;
    const statement = this.statement(sql);
    statement.run(params);
  }

  all<T extends object>(sql: string, params: SqlValue[] = []): T[] {
    const statement = this.statement(sql);
    statement.bind(params);
    const rows: T[] = [];
    try {
      // getAsObject() decodes the column names again for every row; they are read once here.
      let names: string[] | undefined;
      while (statement.step()) {
        names ??= statement.getColumnNames();
        const values = statement.get();
        const row: Record<string, SqlValue> = {};
        for (let i = 0; i < names.length; i++) row[names[i]] = values[i];
        rows.push(row as T);
      }
    } finally {
      statement.reset();
    }
    return rows;
  }

  get<T extends object>(sql: string, params: SqlValue[] = []): T | undefined {
    const statement = this.statement(sql);
    statement.bind(params);
    try {
      return statement.step() ? (statement.getAsObject() as T) : undefined;
    } finally {
      statement.reset();
    }
  }

  /** Runs a script of several statements (migrations); nothing is cached. */
  exec(sql: string): void {
    this.writes++;
    this.raw.exec(sql);
  }

  /** Runs `body` in one transaction: all of it is applied, or none when it throws. */
  transaction<T>(body: () => T): T {
    this.raw.exec('BEGIN');
    try {
      const result = body();
      this.raw.exec('COMMIT');
      return result;
    } catch (error) {
      this.raw.exec('ROLLBACK');
      throw error;
    }
  }

  /** The whole database as a file image. Never called inside a transaction. */
  export(): Uint8Array {
    return this.raw.export();
  }

  close(): void {
    for (const statement of this.statements.values()) statement.free();
    this.statements.clear();
    this.raw.close();
  }
}
