/**
 * Compiles a parsed run filter (`filter.ts`, the tree of `filterGrammar.ts`) to a SQLite boolean expression over the `runs` table
 * aliased `r` (`SELECT … FROM runs r WHERE <sql>`). Every value and key is a bound parameter, never
 * part of the SQL text. The expression is parenthesized, so it can be ANDed into a larger WHERE.
 *
 * Semantics:
 * - `metrics.x` is the series' last value. A metric, param, tag or input comparison holds only when
 *   the run has that key (an EXISTS subquery): a run without `params.lr` matches neither
 *   `params.lr = '1'` nor `params.lr != '1'`, as in MLflow, but does match `NOT params.lr = '1'` and
 *   `params.lr IS NULL`. The same goes for NOT LIKE and NOT IN.
 * - A NaN metric is stored as NULL: it matches only `= NaN`.
 * - An attribute that is NULL (`end_time` of a running run, an unknown `user`) matches no comparison
 *   but IS NULL. `duration` is end_time - start_time, or now - start_time while the run has no end.
 * - Every comparison is 0 or 1, never SQL NULL, so NOT is an exact complement.
 * - `inputs.<field>` holds when any of the run's inputs satisfies the comparison.
 */
import { FilterError, MAX_FILTER_DEPTH } from './filter';
import type { AttributeName, FilterComparison, FilterField, FilterNode, FilterOperator } from './filterGrammar';
import { ATTRIBUTES, fieldName, operatorProblem, valueProblem } from './filterGrammar';

export interface CompiledFilter {
  readonly sql: string;
  readonly params: (string | number)[];
}

export interface CompileOptions {
  /** The time that `duration` measures running runs up to, in ms since the epoch; default now. */
  readonly now?: number;
}

/** Where a field's value lives: a column of `r`, or a subquery that must find a row. */
type Source =
  | { readonly kind: 'column'; readonly sql: string; readonly nullable: boolean; readonly params: (string | number)[] }
  | { readonly kind: 'lookup'; readonly from: string; readonly params: string[]; readonly column: string };

const ATTRIBUTE_COLUMNS: Readonly<Record<Exclude<AttributeName, 'duration' | 'experiment'>, [string, boolean]>> = {
  run_id: ['r.id', false],
  run_name: ['r.name', false],
  status: ['r.status', false],
  start_time: ['r.start_time', false],
  end_time: ['r.end_time', true],
  user: ['r.user', true],
  experiment_id: ['r.experiment_id', false],
  command: ['r.command', true],
  entry_point: ['r.entry_point', true],
  source: ['r.source', true],
  exit_code: ['r.exit_code', true],
  parent_run_id: ['r.parent_run_id', true],
};

const KEYED_TABLES = {
  metric: ['metric_series m', 'm.last'],
  param: ['params p', 'p.value'],
  tag: ['tags t', 't.value'],
};

/** Compiles a filter; an absent filter matches every run. */
export function compileFilter(node: FilterNode | undefined, options: CompileOptions = {}): CompiledFilter {
  if (node === undefined) return { sql: '1', params: [] };
  const params: (string | number)[] = [];
  const now = options.now ?? Date.now();
  const sql = compileNode(node, 0, params, now);
  return { sql: node.kind === 'comparison' ? `(${sql})` : sql, params };
}

function compileNode(node: FilterNode, depth: number, params: (string | number)[], now: number): string {
  // Parsed trees are never this deep; a hand-built one must not overflow the stack.
  if (depth > MAX_FILTER_DEPTH * 2) throw new FilterError('the filter nests too deeply', 0, 0);
  switch (node.kind) {
    case 'comparison':
      return compileComparison(node, params, now);
    case 'not':
      return `NOT ${wrap(compileNode(node.operand, depth + 1, params, now), node.operand)}`;
    case 'and':
    case 'or': {
      const parts = node.operands.map((operand) => wrap(compileNode(operand, depth + 1, params, now), operand));
      if (parts.length === 0) return node.kind === 'and' ? '1' : '0';
      return balanced(parts, node.kind === 'and' ? ' AND ' : ' OR ');
    }
  }
}

const wrap = (sql: string, node: FilterNode): string => (node.kind === 'comparison' ? `(${sql})` : sql);

/**
 * Joins terms into a parenthesized expression. SQLite parses `a OR b OR c …` as a left-leaning tree
 * and refuses trees deeper than 1000, so long chains are split in halves.
 */
function balanced(parts: readonly string[], separator: string): string {
  if (parts.length <= 16) return `(${parts.join(separator)})`;
  const middle = Math.ceil(parts.length / 2);
  return `(${balanced(parts.slice(0, middle), separator)}${separator}${balanced(parts.slice(middle), separator)})`;
}

function sourceOf(field: FilterField, now: number): Source {
  switch (field.entity) {
    case 'metric':
    case 'param':
    case 'tag': {
      const [table, column] = KEYED_TABLES[field.entity];
      const alias = column.charAt(0);
      return {
        kind: 'lookup',
        from: `${table} WHERE ${alias}.run_id = r.id AND ${alias}.key = ?`,
        params: [field.key],
        column,
      };
    }
    case 'input':
      return { kind: 'lookup', from: 'inputs i WHERE i.run_id = r.id', params: [], column: `i.${field.name}` };
    case 'attribute':
      if (field.name === 'experiment') {
        return { kind: 'lookup', from: 'experiments e WHERE e.id = r.experiment_id', params: [], column: 'e.name' };
      }
      if (field.name === 'duration') {
        return { kind: 'column', sql: '(COALESCE(r.end_time, ?) - r.start_time)', nullable: false, params: [now] };
      }
      return {
        kind: 'column',
        sql: ATTRIBUTE_COLUMNS[field.name][0],
        nullable: ATTRIBUTE_COLUMNS[field.name][1],
        params: [],
      };
  }
}

function compileComparison(node: FilterComparison, params: (string | number)[], now: number): string {
  const { field, operator, value } = node;
  if (field.entity === 'attribute' && !Object.hasOwn(ATTRIBUTES, field.name)) {
    throw new FilterError(`unknown attribute "${String(field.name)}"`, node.position, node.length);
  }
  const fail = (reason: string | undefined): void => {
    if (reason !== undefined) throw new FilterError(reason, node.position, node.length);
  };
  fail(operatorProblem(field, operator));
  const scalars: readonly (string | number)[] =
    value.type === 'string' || value.type === 'number' ? [value.value] : value.type === 'none' ? [] : value.values;
  const isNullTest = operator === 'IS NULL' || operator === 'IS NOT NULL';
  if (isNullTest !== (value.type === 'none') || value.type.endsWith('s') !== operator.endsWith('IN')) {
    fail(
      `${fieldName(field)}: ${operator} does not take ${value.type === 'none' ? 'no value' : `a ${value.type} value`}`,
    );
  }
  if (scalars.length === 0 && !isNullTest) fail(`${fieldName(field)}: the ${operator} list is empty`);
  const listType = operator.endsWith('IN') ? (typeof scalars[0] === 'number' ? 'number' : 'string') : undefined;
  for (const scalar of scalars) {
    fail(valueProblem(field, operator, scalar, typeof scalar === 'number' ? String(scalar) : `'${scalar}'`, listType));
  }

  const source = sourceOf(field, now);
  if (source.kind === 'column') {
    params.push(...source.params);
    if (isNullTest) return `${source.sql} ${operator}`;
    const test = predicate(source.sql, operator, scalars, params);
    return source.nullable ? `${source.sql} IS NOT NULL AND ${test}` : test;
  }
  params.push(...source.params);
  if (isNullTest) return `${operator === 'IS NULL' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${source.from})`;
  let column = source.column;
  let guard = '';
  if (field.entity === 'param' && typeof scalars[0] === 'number') {
    // Only values that are JSON numbers ("0.01", "-3", "1e-4") compare numerically: a CAST alone
    // would read "auto" as 0. json_type errors on malformed JSON, so CASE guards it.
    guard = `CASE WHEN json_valid(${column}) THEN json_type(${column}) IN ('integer', 'real') ELSE 0 END AND `;
    column = `CAST(${column} AS REAL)`;
  }
  return `EXISTS (SELECT 1 FROM ${source.from} AND ${guard}${predicate(column, operator, scalars, params)})`;
}

/** `column <operator> <values>`, the values bound; NaN (only = and != on metrics) tests for NULL. */
function predicate(
  column: string,
  operator: FilterOperator,
  values: readonly (string | number)[],
  params: (string | number)[],
): string {
  const [first] = values;
  if (typeof first === 'number' && Number.isNaN(first)) return `${column} ${operator === '=' ? 'IS' : 'IS NOT'} NULL`;
  switch (operator) {
    case 'IN':
    case 'NOT IN':
      params.push(...values);
      return `${column} ${operator} (${values.map(() => '?').join(', ')})`;
    case 'LIKE':
    case 'NOT LIKE':
      // SQLite's LIKE ignores ASCII case; GLOB is the case-sensitive matcher.
      params.push(likeToGlob(String(first)));
      return `${column} ${operator === 'LIKE' ? 'GLOB' : 'NOT GLOB'} ?`;
    case 'ILIKE':
    case 'NOT ILIKE':
      // LIKE already ignores ASCII case unless `PRAGMA case_sensitive_like` is on; lower() on both
      // sides holds either way. Without ICU neither folds non-ASCII letters.
      params.push(likeToEscapedLike(String(first)));
      return `lower(${column}) ${operator === 'ILIKE' ? 'LIKE' : 'NOT LIKE'} lower(?) ESCAPE '\\'`;
    default:
      params.push(first);
      return `${column} ${operator} ?`;
  }
}

type LikePart =
  { readonly kind: 'literal'; readonly char: string } | { readonly kind: 'any' } | { readonly kind: 'one' };

/** Reads a LIKE pattern: `%` any run, `_` one character; `\%`, `\_` and `\\` are literal. */
function likeParts(pattern: string): LikePart[] {
  const parts: LikePart[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i += 1) {
    const char = chars[i];
    const next = chars[i + 1];
    if (char === '\\' && next !== undefined && '%_\\'.includes(next)) {
      parts.push({ kind: 'literal', char: next });
      i += 1;
    } else if (char === '%' || char === '_') {
      parts.push(char === '%' ? { kind: 'any' } : { kind: 'one' });
    } else {
      parts.push({ kind: 'literal', char });
    }
  }
  return parts;
}

/** A LIKE pattern as a GLOB pattern, GLOB's own metacharacters made literal with brackets. */
export function likeToGlob(pattern: string): string {
  return likeParts(pattern)
    .map((part) => {
      if (part.kind === 'any') return '*';
      if (part.kind === 'one') return '?';
      return '*?['.includes(part.char) ? `[${part.char}]` : part.char;
    })
    .join('');
}

/** A LIKE pattern normalized for SQLite's `LIKE … ESCAPE '\'`, every literal metacharacter escaped. */
function likeToEscapedLike(pattern: string): string {
  return likeParts(pattern)
    .map((part) => {
      if (part.kind === 'any') return '%';
      if (part.kind === 'one') return '_';
      return '%_\\'.includes(part.char) ? `\\${part.char}` : part.char;
    })
    .join('');
}
