import * as assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IDS, REPO, cli, fixtureStore } from './cliFixture';

type Schema = Record<string, unknown>;

/**
 * The part of JSON Schema that docs/cli-output.schema.json uses: $ref (local pointers), oneOf,
 * const, enum, type, properties, required, additionalProperties, items. Returns the problems found.
 */
function validate(root: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  if (typeof schema['$ref'] === 'string') {
    const target = schema['$ref']
      .slice(2)
      .split('/')
      .reduce<unknown>((node, part) => (node as Schema)[part], root) as Schema | undefined;
    if (!target) return [`${path}: unresolved ${schema['$ref']}`];
    return validate(root, target, value, path);
  }
  if (Array.isArray(schema['oneOf'])) {
    const passing = (schema['oneOf'] as Schema[]).filter((s) => validate(root, s, value, path).length === 0);
    return passing.length === 1 ? [] : [`${path}: matches ${passing.length} of oneOf, not exactly 1`];
  }
  if ('const' in schema && value !== schema['const']) return [`${path}: not ${JSON.stringify(schema['const'])}`];
  if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(value)) {
    return [`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema['enum'])}`];
  }
  if (schema['type'] !== undefined) {
    const types = ([] as string[]).concat(schema['type'] as string | string[]);
    const kind =
      value === null
        ? 'null'
        : Array.isArray(value)
          ? 'array'
          : typeof value === 'number' && Number.isInteger(value)
            ? 'integer'
            : typeof value;
    if (!types.includes(kind) && !(kind === 'integer' && types.includes('number'))) {
      return [`${path}: ${kind} where ${types.join(' or ')} was expected`];
    }
  }
  const problems: string[] = [];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (schema['required'] ?? []) as string[]) if (!(key in object)) problems.push(`${path}: no ${key}`);
    for (const [key, child] of Object.entries(object)) {
      const rule: unknown = properties[key] ?? schema['additionalProperties'];
      if (rule === false) problems.push(`${path}: ${key} is not in the schema`);
      else if (rule && typeof rule === 'object')
        problems.push(...validate(root, rule as Schema, child, `${path}.${key}`));
    }
    const documented = Object.keys(properties);
    const order = Object.keys(object).filter((k) => documented.includes(k));
    const expected = documented.filter((k) => k in object);
    if (order.join() !== expected.join())
      problems.push(`${path}: keys in the order ${order.join()}, documented ${expected.join()}`);
  }
  if (Array.isArray(value) && schema['items']) {
    value.forEach((item, i) => problems.push(...validate(root, schema['items'] as Schema, item, `${path}[${i}]`)));
  }
  return problems;
}

describe('the documented JSON of every command (docs/cli-output.schema.json)', function () {
  this.timeout(60_000);
  let root: string;
  let schema: Schema;
  before(async () => {
    ({ root } = await fixtureStore());
    schema = JSON.parse(await readFile(join(REPO, 'docs/cli-output.schema.json'), 'utf8')) as Schema;
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const outputs: readonly (readonly string[])[] = [
    ['runs'],
    ['runs', '--filter', 'metrics.rmse < 0'],
    ['show', 'deep-owl'],
    ['show', IDS.running],
    ['compare', 'bright-fox', 'deep-owl', 'busy-bee'],
    [
      'check',
      'deep-owl',
      '--metric',
      'rmse',
      '--better-than',
      'models:/house-prices@champion',
      '--metric',
      'r2',
      '--min',
      '0.5',
    ],
    ['check', 'deep-owl', '--metric', 'mae', '--better-than', 'models:/house-prices@gold'],
    ['check', 'busy-bee', '--metric', 'rmse', '--max', '1'],
    ['models'],
    [
      'promote',
      'models:/house-prices/1',
      '--alias',
      'champion',
      '--if-better-than',
      'models:/house-prices@staging',
      '--metric',
      'rmse',
    ],
  ];

  for (const argv of outputs) {
    it(`runlog ${argv.join(' ')}`, async () => {
      const result = await cli([...argv, '--format', 'json'], root);
      assert.ok(result.out.length > 0, result.err);
      const value = JSON.parse(result.out) as { schema: string };
      assert.match(value.schema, /^runlog\.[a-z]+\/1$/);
      assert.deepEqual(validate(schema, schema, value), []);
    });
  }

  it('can fail: a field the schema does not know is reported', () => {
    const problems = validate(schema, schema, { schema: 'runlog.models/1', models: [], extra: 1 });
    assert.ok(problems.length > 0);
  });
});
