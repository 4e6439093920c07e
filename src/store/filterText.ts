// Terms of the store's filter language (filter.ts) written for the user, as the runs table's quick
// filters add them to the shared filter text: keys quoted when they need it, strings quoted with
// their quotes escaped, numbers as JavaScript writes them. Each term parses back to what it says
// (filterText.test.ts). No `vscode`.

/** An unquoted key is a run of these (filter.ts); any other key is quoted with backticks. */
const BARE_KEY = /^[A-Za-z0-9_\-./:]+$/;

function field(prefix: 'metrics' | 'params', key: string): string {
  return BARE_KEY.test(key) ? `${prefix}.${key}` : `${prefix}.\`${key.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
}

function quoted(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** `metrics.key >= min AND metrics.key <= max` (either bound may be absent; none: no term). */
export function metricRangeTerm(key: string, min: number | null, max: number | null): string | undefined {
  const terms = [
    ...(min === null ? [] : [`${field('metrics', key)} >= ${String(min)}`]),
    ...(max === null ? [] : [`${field('metrics', key)} <= ${String(max)}`]),
  ];
  return terms.length === 0 ? undefined : terms.join(' AND ');
}

/** `params.key = 'a'`, or `(params.key = 'a' OR params.key = 'b')` for several values (none: no term). */
export function paramValuesTerm(key: string, values: readonly string[]): string | undefined {
  const terms = values.map((value) => `${field('params', key)} = ${quoted(value)}`);
  if (terms.length <= 1) return terms[0];
  return `(${terms.join(' OR ')})`;
}

/** The filter with a term added: ANDed, the filter in parentheses when it has an OR of its own. */
export function withTerm(filter: string, term: string): string {
  const current = filter.trim();
  if (current === '') return term;
  return /\bor\b/i.test(current) ? `(${current}) AND ${term}` : `${current} AND ${term}`;
}
