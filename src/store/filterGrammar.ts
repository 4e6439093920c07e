// The run filter language's grammar: the syntax tree the parser (filter.ts) builds and the compiler
// (filterCompile.ts) reads, the fields and operators it knows, and the type rules both apply.

export type FilterNode = FilterComparison | FilterAnd | FilterOr | FilterNot;

export interface FilterAnd {
  readonly kind: 'and';
  readonly operands: readonly FilterNode[];
}

export interface FilterOr {
  readonly kind: 'or';
  readonly operands: readonly FilterNode[];
}

export interface FilterNot {
  readonly kind: 'not';
  readonly operand: FilterNode;
}

export interface FilterComparison {
  readonly kind: 'comparison';
  readonly field: FilterField;
  readonly operator: FilterOperator;
  readonly value: FilterValue;
  /** Where the comparison is in the filter text, for errors found later. */
  readonly position: number;
  readonly length: number;
}

export type FilterField =
  | { readonly entity: 'metric' | 'param' | 'tag'; readonly key: string }
  | { readonly entity: 'attribute'; readonly name: AttributeName }
  | { readonly entity: 'input'; readonly name: InputField };

export const FILTER_OPERATORS = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'LIKE',
  'NOT LIKE',
  'ILIKE',
  'NOT ILIKE',
  'IN',
  'NOT IN',
  'IS NULL',
  'IS NOT NULL',
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export type FilterValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'strings'; readonly values: readonly string[] }
  | { readonly type: 'numbers'; readonly values: readonly number[] }
  | { readonly type: 'none' };

/** Run attributes and whether they hold numbers or strings. */
export const ATTRIBUTES = {
  run_id: 'string',
  run_name: 'string',
  status: 'string',
  start_time: 'number',
  end_time: 'number',
  duration: 'number',
  user: 'string',
  experiment: 'string',
  experiment_id: 'number',
  command: 'string',
  entry_point: 'string',
  source: 'string',
  exit_code: 'number',
  parent_run_id: 'string',
} as const;
export type AttributeName = keyof typeof ATTRIBUTES;
export const ATTRIBUTE_ALIASES: Readonly<Record<string, AttributeName>> = {
  run_uuid: 'run_id',
  id: 'run_id',
  name: 'run_name',
  user_id: 'user',
  experiment_name: 'experiment',
};

export const INPUT_FIELDS = ['name', 'digest', 'path'] as const;
export type InputField = (typeof INPUT_FIELDS)[number];

export type Entity = FilterField['entity'];
const PREFIX_SPELLINGS: Readonly<Record<Entity, readonly string[]>> = {
  metric: ['metric', 'metrics'],
  param: ['param', 'params', 'parameter', 'parameters'],
  tag: ['tag', 'tags'],
  attribute: ['attribute', 'attributes', 'attr', 'run'],
  input: ['input', 'inputs', 'dataset', 'datasets'],
};
export const PREFIXES = Object.fromEntries(
  Object.entries(PREFIX_SPELLINGS).flatMap(([entity, spellings]) => spellings.map((s) => [s, entity as Entity])),
);
const CANONICAL_PREFIX: Readonly<Record<Entity, string>> = {
  metric: 'metrics',
  param: 'params',
  tag: 'tags',
  attribute: 'attributes',
  input: 'inputs',
};

// ---------------------------------------------------------------------------------------------
// Type rules, shared by the parser (errors point into the text) and the compiler (hand-built trees).

type ValueType = 'number' | 'string' | 'either';

function valueType(field: FilterField): ValueType {
  switch (field.entity) {
    case 'metric':
      return 'number';
    case 'param':
      return 'either';
    case 'tag':
    case 'input':
      return 'string';
    case 'attribute':
      return ATTRIBUTES[field.name];
  }
}

const isPatternOperator = (op: FilterOperator): boolean => op.endsWith('LIKE');
const isOrderOperator = (op: FilterOperator): boolean => op === '<' || op === '<=' || op === '>' || op === '>=';

/** How a field is written in messages: the canonical prefix, the key quoted only when needed. */
export function fieldName(field: FilterField): string {
  const prefix = CANONICAL_PREFIX[field.entity];
  if (field.entity === 'attribute' || field.entity === 'input') return `${prefix}.${field.name}`;
  return UNQUOTED_KEY.test(field.key) ? `${prefix}.${field.key}` : `${prefix}.\`${field.key.replace(/`/g, '``')}\``;
}
const UNQUOTED_KEY = /^[\p{L}\p{N}_\-./:]+$/u;

/** Why `op` cannot apply to `field`, or undefined when it can. */
export function operatorProblem(field: FilterField, op: FilterOperator): string | undefined {
  const type = valueType(field);
  if (type === 'number' && isPatternOperator(op)) {
    return `${fieldName(field)}: ${op} does not apply to numbers (use =, !=, <, <=, >, >=, IN or NOT IN)`;
  }
  if (type === 'string' && isOrderOperator(op)) {
    return `${fieldName(field)}: "${op}" compares numbers, and this is a string (use =, !=, LIKE, ILIKE, IN or NOT IN)`;
  }
  return undefined;
}

/**
 * Why `value` cannot follow `op` on `field`, or undefined when it can. `found` is how the value is
 * shown; `listType` is the type of an IN list's first value, which the rest must share.
 */
export function valueProblem(
  field: FilterField,
  op: FilterOperator,
  value: string | number,
  found: string,
  listType?: 'string' | 'number',
): string | undefined {
  const name = fieldName(field);
  const where = op === 'IN' || op === 'NOT IN' ? `in the ${op} list` : `after "${op}"`;
  const type = typeof value === 'number' ? 'number' : 'string';
  if (typeof value === 'number' && Number.isNaN(value) && !(field.entity === 'metric' && (op === '=' || op === '!='))) {
    return `${name}: NaN can only be compared with = or != on a metric`;
  }
  switch (valueType(field)) {
    case 'number':
      return type === 'number' ? undefined : `${name}: expected a number ${where}, found ${found}`;
    case 'string':
      return type === 'string' ? undefined : `${name}: expected a quoted string ${where}, found ${found}`;
    case 'either':
      if (isPatternOperator(op) && type !== 'string') return `${name}: ${op} needs a string value, found ${found}`;
      if (isOrderOperator(op) && type !== 'number') return `${name}: expected a number ${where}, found ${found}`;
      if (listType !== undefined && listType !== type) return `${name}: the ${op} list mixes strings and numbers`;
      return undefined;
  }
}
