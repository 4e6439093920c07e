import * as assert from 'node:assert/strict';
import initSqlJs from 'sql.js';
import type { Database } from 'sql.js';
import type { FilterComparison, FilterNode } from '../../../src/store/filterGrammar';
import { FilterError, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseFilter } from '../../../src/store/filter';
import { compileFilter, likeToGlob } from '../../../src/store/filterCompile';
import { MIGRATIONS } from '../../../src/store/schema';

/** The comparison a one-comparison filter parses to, without its position. */
function comparison(text: string): Omit<FilterComparison, 'position' | 'length'> {
  const node = parseFilter(text);
  assert.ok(node?.kind === 'comparison', text);
  return { kind: node.kind, field: node.field, operator: node.operator, value: node.value };
}

/** A filter's shape as a compact string: comparisons by their field key or name. */
function shape(node: FilterNode | undefined): string {
  if (node === undefined) return '';
  switch (node.kind) {
    case 'comparison':
      return 'key' in node.field ? node.field.key : node.field.name;
    case 'not':
      return `!${shape(node.operand)}`;
    case 'and':
    case 'or':
      return `${node.kind}(${node.operands.map(shape).join(' ')})`;
  }
}

function parseError(text: string): FilterError {
  try {
    parseFilter(text);
  } catch (error) {
    assert.ok(error instanceof FilterError, `${text}: ${String(error)}`);
    return error;
  }
  assert.fail(`${text}: parsed without an error`);
}

describe('run filter parsing', () => {
  it('reads an empty filter as no filter', () => {
    assert.equal(parseFilter(''), undefined);
    assert.equal(parseFilter(' \n\t '), undefined);
  });

  it('parses every comparator, keywords in any case', () => {
    const metric = { entity: 'metric', key: 'loss' } as const;
    const cases: [string, string, unknown][] = [
      ['metrics.loss = 1', '=', { type: 'number', value: 1 }],
      ['metrics.loss != 1', '!=', { type: 'number', value: 1 }],
      ['metrics.loss <> 1', '!=', { type: 'number', value: 1 }],
      ['metrics.loss < 1', '<', { type: 'number', value: 1 }],
      ['metrics.loss <= 1', '<=', { type: 'number', value: 1 }],
      ['metrics.loss > 1', '>', { type: 'number', value: 1 }],
      ['metrics.loss>=1', '>=', { type: 'number', value: 1 }],
      ['metrics.loss in (1, 2)', 'IN', { type: 'numbers', values: [1, 2] }],
      ['metrics.loss Not In (1)', 'NOT IN', { type: 'numbers', values: [1] }],
      ['metrics.loss is null', 'IS NULL', { type: 'none' }],
      ['metrics.loss IS NOT NULL', 'IS NOT NULL', { type: 'none' }],
    ];
    for (const [text, operator, value] of cases) {
      assert.deepEqual(comparison(text), { kind: 'comparison', field: metric, operator, value }, text);
    }
    const tag = { entity: 'tag', key: 'team' } as const;
    const patterns: [string, string][] = [
      ["tags.team like 'a%'", 'LIKE'],
      ["tags.team NOT LIKE 'a%'", 'NOT LIKE'],
      ["tags.team ILike 'a%'", 'ILIKE'],
      ["tags.team not ilike 'a%'", 'NOT ILIKE'],
    ];
    for (const [text, operator] of patterns) {
      assert.deepEqual(comparison(text), {
        kind: 'comparison',
        field: tag,
        operator,
        value: { type: 'string', value: 'a%' },
      });
    }
  });

  it('records where each comparison is in the text', () => {
    const node = parseFilter("  metrics.loss < 1 AND params.model IN ('a', 'b')");
    assert.ok(node?.kind === 'and');
    assert.deepEqual(
      node.operands.map((operand) => operand.kind === 'comparison' && [operand.position, operand.length]),
      [
        [2, 16],
        [23, 26],
      ],
    );
  });

  it('binds NOT tighter than AND, and AND tighter than OR', () => {
    const cases: [string, string][] = [
      ['metrics.a > 1 OR metrics.b > 1 AND metrics.c > 1', 'or(a and(b c))'],
      ['metrics.a > 1 AND metrics.b > 1 OR metrics.c > 1', 'or(and(a b) c)'],
      ['NOT metrics.a > 1 AND metrics.b > 1', 'and(!a b)'],
      ['NOT (metrics.a > 1 AND metrics.b > 1)', '!and(a b)'],
      ['(metrics.a > 1 OR metrics.b > 1) AND metrics.c > 1', 'and(or(a b) c)'],
      ['metrics.a > 1 and metrics.b > 1 and metrics.c > 1 or metrics.d > 1', 'or(and(a b c) d)'],
      ['not not metrics.a > 1', '!!a'],
      ['((metrics.a > 1))', 'a'],
      ['metrics.a > 1 OR (metrics.b > 1 OR metrics.c > 1)', 'or(a or(b c))'],
    ];
    for (const [text, expected] of cases) assert.equal(shape(parseFilter(text)), expected, text);
  });

  it('reads quoted and unquoted keys', () => {
    const key = (text: string): string => {
      const { field } = comparison(text);
      return 'key' in field ? field.key : field.name;
    };
    assert.equal(key('metrics.`val loss` < 1'), 'val loss');
    assert.equal(key('metrics."val loss" < 1'), 'val loss');
    assert.equal(key('metrics.`a``b` < 1'), 'a`b');
    assert.equal(key('metrics."a\\"b" < 1'), 'a"b');
    assert.equal(key('metrics.val/loss < 1'), 'val/loss');
    assert.equal(key('metrics.train.loss<1'), 'train.loss');
    assert.equal(key('metrics.eval:f1-score>=1'), 'eval:f1-score');
    assert.equal(key('metrics.损失 < 1'), '损失');
    assert.equal(key("params.modèle = 'x'"), 'modèle');
    assert.equal(key('tags.`mlflow.source.type` IS NULL'), 'mlflow.source.type');
    assert.equal(key('metrics.a>-1'), 'a');
  });

  it('reads strings with either quote, doubled quotes and backslash escapes', () => {
    const value = (text: string): unknown => comparison(`params.p = ${text}`).value;
    assert.deepEqual(value("'it''s'"), { type: 'string', value: "it's" });
    assert.deepEqual(value('"it\'s"'), { type: 'string', value: "it's" });
    assert.deepEqual(value('"say ""hi"""'), { type: 'string', value: 'say "hi"' });
    assert.deepEqual(value("'it\\'s'"), { type: 'string', value: "it's" });
    assert.deepEqual(value("'a\\\\b'"), { type: 'string', value: 'a\\b' });
    // Other backslashes stay, so Windows paths and LIKE escapes read as written.
    assert.deepEqual(value("'C:\\new\\data'"), { type: 'string', value: 'C:\\new\\data' });
    assert.deepEqual(value("''"), { type: 'string', value: '' });
    assert.deepEqual(value("'café 🐈'"), { type: 'string', value: 'café 🐈' });
    assert.deepEqual(value("'a\u0000b'"), { type: 'string', value: 'a\u0000b' });
  });

  it('reads numbers, NaN and infinities', () => {
    const cases: [string, number][] = [
      ['3', 3],
      ['-3', -3],
      ['0.25', 0.25],
      ['.5', 0.5],
      ['5.', 5],
      ['1e-3', 0.001],
      ['-2.5E+2', -250],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['inf', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['-inf', Number.NEGATIVE_INFINITY],
      ['NaN', Number.NaN],
    ];
    for (const [text, expected] of cases) {
      const { value } = comparison(`metrics.loss = ${text}`);
      assert.ok(value.type === 'number' && Object.is(value.value, expected), text);
    }
  });

  it("accepts MLflow's prefix aliases and attribute aliases, in any case", () => {
    const field = (text: string): unknown => comparison(text).field;
    for (const prefix of ['metric', 'metrics', 'METRICS']) {
      assert.deepEqual(field(`${prefix}.x = 1`), { entity: 'metric', key: 'x' });
    }
    for (const prefix of ['param', 'params', 'parameter', 'parameters']) {
      assert.deepEqual(field(`${prefix}.x = 'a'`), { entity: 'param', key: 'x' });
    }
    for (const prefix of ['tag', 'tags']) assert.deepEqual(field(`${prefix}.x = 'a'`), { entity: 'tag', key: 'x' });
    for (const prefix of ['attribute', 'attributes', 'attr', 'run', 'Attributes']) {
      assert.deepEqual(field(`${prefix}.status = 'a'`), { entity: 'attribute', name: 'status' });
    }
    for (const prefix of ['input', 'inputs', 'dataset', 'datasets']) {
      assert.deepEqual(field(`${prefix}.digest = 'a'`), { entity: 'input', name: 'digest' });
    }
    const aliases: [string, string][] = [
      ['run_uuid', 'run_id'],
      ['id', 'run_id'],
      ['name', 'run_name'],
      ['user_id', 'user'],
      ['experiment_name', 'experiment'],
      ['START_TIME', 'start_time'],
    ];
    for (const [alias, name] of aliases) {
      assert.deepEqual(field(`attributes.${alias} IS NULL`), { entity: 'attribute', name });
    }
  });

  it('takes either strings or numbers for params, and lists of one kind', () => {
    assert.deepEqual(comparison('params.lr = 0.01').value, { type: 'number', value: 0.01 });
    assert.deepEqual(comparison("params.lr = '0.01'").value, { type: 'string', value: '0.01' });
    assert.deepEqual(comparison('params.depth < 10').value, { type: 'number', value: 10 });
    assert.deepEqual(comparison('params.m IN (\'a\', "b")').value, { type: 'strings', values: ['a', 'b'] });
    assert.deepEqual(comparison('attributes.exit_code NOT IN (1,2,3)').value, {
      type: 'numbers',
      values: [1, 2, 3],
    });
  });

  it('names the problem, what was expected and where', () => {
    const attributes =
      'run_id, run_name, status, start_time, end_time, duration, user, experiment, experiment_id, command, entry_point, source, exit_code, parent_run_id';
    const cases: [string, string, number, number?][] = [
      ["metrics.rmse <'abc'", `metrics.rmse: expected a number after "<", found "'abc'" (at 14)`, 14, 5],
      ["attributes.colour = 'red'", `unknown attribute "colour": expected one of ${attributes} (at 11)`, 11, 6],
      ['params.lr', 'expected a comparison operator after params.lr, found end of input (at 9)', 9, 0],
      ['params.lr lr', 'expected a comparison operator after params.lr, found "lr" (at 10)', 10, 2],
      ['metrics.a > 1 AND (metrics.b < 2', 'unclosed parenthesis opened at 18', 18, 1],
      ["params.a = 'abc", 'unterminated string starting at 11', 11, 4],
      ['params.lr LIKE 0.1', 'params.lr: LIKE needs a string value, found "0.1" (at 15)', 15, 3],
      ['params.lr NOT ILIKE 1', 'params.lr: NOT ILIKE needs a string value, found "1" (at 20)', 20],
      ["status = 'FAILED'", '"status" needs a prefix: write attributes.status (at 0)', 0, 6],
      ['lr > 1', '"lr" needs a prefix: write metrics.lr, params.lr, tags.lr or attributes.… (at 0)', 0, 2],
      [
        'metircs.loss < 1',
        'unknown prefix "metircs": expected metrics., params., tags., attributes. or inputs. (at 0)',
        0,
        7,
      ],
      ['metrics. < 1', 'expected a key after "metrics.", found a space (at 8)', 8],
      ['metrics.', 'expected a key after "metrics.", found end of input (at 8)', 8],
      [
        "params.'lr' = 'a'",
        `expected a key after "params.", found "'" (quote keys with backticks or double quotes) (at 7)`,
        7,
      ],
      ['metrics.loss < 1 AND', 'expected a comparison such as metrics.loss < 0.5, found end of input (at 20)', 20],
      ['AND metrics.loss < 1', 'expected a comparison such as metrics.loss < 0.5, found "AND" (at 0)', 0, 3],
      ["'x' = 1", `expected a comparison such as metrics.loss < 0.5, found "'x'" (at 0)`, 0, 3],
      ['()', 'expected a comparison such as metrics.loss < 0.5, found ")" (at 1)', 1],
      ['metrics.loss < 1 metrics.acc > 2', 'expected AND, OR or end of input, found "metrics.acc" (at 17)', 17, 11],
      ['(metrics.loss < 1 x)', 'expected AND, OR or ")", found "x" (at 18)', 18],
      ['metrics.loss < 1)', 'unmatched ")" (at 16)', 16],
      ['metrics.loss <', 'metrics.loss: expected a value after "<", found end of input (at 14)', 14],
      ['metrics.loss < (1)', 'metrics.loss: expected a value after "<", found "(" (at 15)', 15],
      ['tags.team = 3', 'tags.team: expected a quoted string after "=", found "3" (at 12)', 12],
      [
        "tags.team < 'a'",
        'tags.team: "<" compares numbers, and this is a string (use =, !=, LIKE, ILIKE, IN or NOT IN) (at 10)',
        10,
      ],
      [
        "attributes.status >= 'a'",
        'attributes.status: ">=" compares numbers, and this is a string (use =, !=, LIKE, ILIKE, IN or NOT IN) (at 18)',
        18,
        2,
      ],
      [
        "metrics.loss LIKE 'a%'",
        'metrics.loss: LIKE does not apply to numbers (use =, !=, <, <=, >, >=, IN or NOT IN) (at 13)',
        13,
      ],
      [
        "attributes.duration NOT LIKE 'a'",
        'attributes.duration: NOT LIKE does not apply to numbers (use =, !=, <, <=, >, >=, IN or NOT IN) (at 20)',
        20,
        8,
      ],
      [
        "attributes.start_time > '2024'",
        `attributes.start_time: expected a number after ">", found "'2024'" (at 24)`,
        24,
      ],
      ["metrics.loss IN (1, 'a')", `metrics.loss: expected a number in the IN list, found "'a'" (at 20)`, 20],
      ['params.lr IN ()', 'params.lr: the IN list is empty (at 13)', 13],
      ["params.lr IN ('a', 1)", 'params.lr: the IN list mixes strings and numbers (at 19)', 19],
      ["params.lr IN 'a'", `params.lr: expected "(" and a list of values after IN, found "'a'" (at 13)`, 13],
      ["params.lr NOT IN ('a' 'b')", `params.lr: expected "," or ")" in the NOT IN list, found "'b'" (at 22)`, 22],
      ["params.lr IN ('a',", 'params.lr: expected a value in the IN list, found end of input (at 18)', 18],
      ["params.lr IN ('a'", 'unclosed parenthesis opened at 13', 13],
      ["params.lr NOT = 'a'", 'params.lr: expected IN, LIKE or ILIKE after NOT, found "=" (at 14)', 14],
      ["params.lr IS 'a'", `params.lr: expected NOT or NULL after IS, found "'a'" (at 13)`, 13],
      ['params.lr IS NOT 1', 'params.lr: expected NULL after IS, found "1" (at 17)', 17],
      ["params.lr == 'a'", 'write "=" rather than "==" (at 10)', 10, 2],
      ['params.lr = 1.2.3', 'invalid number "1.2.3" (at 12)', 12, 5],
      ['params.lr = 12abc', 'invalid number "12abc" (at 12)', 12, 5],
      ['params.lr = NaN', 'params.lr: NaN can only be compared with = or != on a metric (at 12)', 12, 3],
      ['metrics.loss < NaN', 'metrics.loss: NaN can only be compared with = or != on a metric (at 15)', 15],
      ['metrics.loss > - 5', 'unexpected character "-" (at 15)', 15],
      ["params.a = 'a' && params.b = 'c'", 'unexpected character "&" (write AND) (at 15)', 15],
      ["params.a = 'a' || params.b = 'c'", 'unexpected character "|" (write OR) (at 15)', 15],
      ["params.a ! 'a'", 'unexpected character "!" (write != or NOT) (at 9)', 9],
      ["params.a = 'a'; DROP TABLE runs", 'unexpected character ";" (at 14)', 14],
      ['params.a = `a`', "backticks quote keys, as in metrics.`val loss`; quote values with '…' (at 11)", 11],
      ["params.`` = 'a'", 'params: the quoted key is empty (at 7)', 7, 2],
      ['metrics.`val loss < 1', 'unterminated quoted key starting at 8', 8, 13],
      ["inputs.context = 'train'", 'unknown input field "context": expected name, digest or path (at 7)', 7, 7],
      ["params.a = 'a'\u0000", 'unexpected character U+0000 (at 14)', 14],
      ["params.a = 'a' \u200b", 'unexpected character U+200B (at 15)', 15],
      ["params.a = 'a' 🐈", 'unexpected character "🐈" (at 15)', 15, 2],
      ["params.a = 'a' AND NOT", 'expected a comparison such as metrics.loss < 0.5, found end of input (at 22)', 22],
    ];
    for (const [text, message, position, length] of cases) {
      const error = parseError(text);
      assert.equal(error.message, message, text);
      assert.equal(error.position, position, text);
      if (length !== undefined) assert.equal(error.length, length, text);
      assert.ok(!error.reason.includes('(at '), text);
    }
  });

  it('refuses input that is too long or nests too deeply, without recursing into it', () => {
    const long = parseError(`metrics.a > 1${' '.repeat(MAX_FILTER_LENGTH)}`);
    assert.match(long.message, /the filter is too long: 10013 characters, at most 10000/);
    assert.equal(long.position, MAX_FILTER_LENGTH);

    const term = "tag.a=''OR ";
    const chain = `${term.repeat(Math.floor((MAX_FILTER_LENGTH - 10) / term.length))}tag.a=''`;
    assert.ok(chain.length <= MAX_FILTER_LENGTH);
    const parsed = parseFilter(chain);
    assert.ok(parsed?.kind === 'or' && parsed.operands.length > 900);

    const nested = (depth: number): string => `${'('.repeat(depth)}metrics.a > 1${')'.repeat(depth)}`;
    assert.equal(shape(parseFilter(nested(MAX_FILTER_DEPTH))), 'a');
    const deep = parseError(nested(MAX_FILTER_DEPTH + 1));
    assert.match(deep.message, /nests too deeply: at most 100 levels of parentheses and NOT \(at 100\)/);
    assert.equal(parseError('('.repeat(MAX_FILTER_LENGTH)).position, MAX_FILTER_DEPTH);
    assert.equal(parseError(`${'NOT '.repeat(2000)}metrics.a > 1`).position, 4 * MAX_FILTER_DEPTH);
    assert.equal(parseError('NOT ('.repeat(60)).position, 250);
  });

  it('stays fast on pathological input', () => {
    const inputs = [
      `'${'a'.repeat(MAX_FILTER_LENGTH - 1)}`,
      `params.a = '${"''".repeat(4990)}'`,
      `params.a IN (${"'x',".repeat(1990)}'x')`,
      `metrics.${'a.'.repeat(4990)} < 1`,
      '1'.repeat(MAX_FILTER_LENGTH),
      `metrics.a = ${'9'.repeat(9000)}`,
      '-'.repeat(MAX_FILTER_LENGTH),
      ' '.repeat(MAX_FILTER_LENGTH),
    ];
    for (const text of inputs) {
      const started = performance.now();
      try {
        parseFilter(text);
      } catch (error) {
        assert.ok(error instanceof FilterError);
      }
      assert.ok(performance.now() - started < 500, text.slice(0, 40));
    }
  });
});

describe('run filter compilation', () => {
  let db: Database;

  // r3 is still running; r5 logged nothing but its run. A NaN metric is stored as NULL.
  before(async () => {
    const SQL = await initSqlJs();
    db = new SQL.Database();
    db.exec(MIGRATIONS[0]);
    db.exec("INSERT INTO experiments (id, name, created) VALUES (1, 'vision', 0), (2, 'NLP', 0)");
    const runs: (string | number | null)[][] = [
      ['r1', 'bright-owl', 1, 'FINISHED', 1000, 5000, 'python train.py', 'train.py', 'git', 0, 'ada', null],
      ['r2', 'Calm-Fox', 1, 'FAILED', 2000, 2500, 'python train.py --lr 0.1', 'train.py', null, 1, 'bob', null],
      ['r3', 'dark_bear', 2, 'RUNNING', 3000, null, 'python eval.py', null, null, null, null, 'r1'],
      ['r4', 'eager*owl', 0, 'KILLED', 4000, 10000, null, null, null, 137, 'Ada', null],
      ['r5', '100%_done', 2, 'FINISHED', 500, 600, null, null, null, 0, 'ada', null],
    ];
    for (const run of runs) {
      db.run(
        `INSERT INTO runs (id, name, experiment_id, status, start_time, end_time, command, entry_point, source,
           exit_code, user, parent_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        run,
      );
    }
    const params = [
      ['r1', 'lr', '0.01'],
      ['r1', 'model', 'ResNet-50'],
      ['r1', 'depth', '50'],
      ['r1', 'model.depth', '50'],
      ['r1', 'optimizer', 'Adam'],
      ['r2', 'lr', '0.1'],
      ['r2', 'model', 'resnet-18'],
      ['r2', 'depth', '18'],
      ['r2', 'optimizer', 'adam'],
      ['r3', 'lr', '1e-3'],
      ['r3', 'model', 'ViT'],
      ['r3', 'depth', 'deep'],
      ['r4', 'lr', 'auto'],
      ['r4', 'model', "it's"],
      ['r4', 'depth', '7'],
    ];
    for (const row of params) db.run('INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)', row);
    const tags = [
      ['r1', 'team', 'vision'],
      ['r1', 'mlflow.note', 'baseline'],
      ['r2', 'team', 'Vision'],
      ['r3', 'team', 'nlp'],
      ['r3', 'release', 'v1 [rc]*?'],
      ['r4', 'team', 'vis_on'],
      ['r4', 'note', "'; DROP TABLE runs; --"],
      ['r5', 'team', 'ünïcode'],
    ];
    for (const row of tags) db.run('INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)', row);
    const metrics: [string, string, number][] = [
      ['r1', 'loss', 0.5],
      ['r1', 'val/loss', 0.6],
      ['r1', 'val loss', 0.7],
      ['r1', 'accuracy', 0.9],
      ['r2', 'loss', 2.5],
      ['r2', 'accuracy', 0.3],
      ['r3', 'loss', Number.NaN],
      ['r3', 'accuracy', Number.POSITIVE_INFINITY],
      ['r4', 'loss', 0.1],
    ];
    for (const [run, key, last] of metrics) {
      db.run(
        'INSERT INTO metric_series (run_id, key, count, last, last_step, last_time, min, max) VALUES (?, ?, 1, ?, 0, 0, ?, ?)',
        [run, key, last, last, last],
      );
    }
    const inputs = [
      ['r1', 'train', 'data/train.csv', 'abc123'],
      ['r1', 'test', 'data/test.csv', 'def456'],
      ['r2', 'train', 'data/train.csv', 'abc123'],
      ['r3', 'train', 'data/train-v2.csv', '999fff'],
    ];
    for (const row of inputs) db.run('INSERT INTO inputs (run_id, name, path, digest) VALUES (?, ?, ?, ?)', row);
  });

  after(() => db.close());

  /** The ids of the runs a filter selects, sorted; `now` makes r3's duration 100 s. */
  function select(filter: string, where = '1'): string[] {
    const { sql, params } = compileFilter(parseFilter(filter), { now: 103_000 });
    assert.equal(sql.split('?').length - 1, params.length, `${filter}: one parameter per placeholder`);
    const result = db.exec(`SELECT r.id FROM runs r WHERE ${where} AND ${sql} ORDER BY r.id`, params);
    return (result[0]?.values ?? []).map((row) => String(row[0]));
  }

  function expectRuns(cases: [string, string[]][]): void {
    for (const [filter, ids] of cases) assert.deepEqual(select(filter), ids, filter);
  }

  it('matches every run when there is no filter', () => {
    assert.deepEqual(compileFilter(undefined), { sql: '1', params: [] });
    assert.deepEqual(select('  '), ['r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('compares metrics by their last value; a run without the key never matches', () => {
    expectRuns([
      ['metrics.loss < 1', ['r1', 'r4']],
      ['metrics.loss >= 0.5', ['r1', 'r2']],
      ['metrics.loss = 0.5', ['r1']],
      ['metrics.loss != 0.5', ['r2', 'r4']],
      ['metrics.loss <> 0.5', ['r2', 'r4']],
      ['metric.loss > -1e3', ['r1', 'r2', 'r4']],
      ['NOT metrics.loss < 1', ['r2', 'r3', 'r5']],
      ['metrics.loss IN (0.5, 0.1)', ['r1', 'r4']],
      ['metrics.loss NOT IN (0.5)', ['r2', 'r4']],
      ['metrics.loss IS NULL', ['r5']],
      ['metrics.loss IS NOT NULL', ['r1', 'r2', 'r3', 'r4']],
      ['metrics.`val loss` > 0', ['r1']],
      ['metrics."val loss" > 0', ['r1']],
      ['metrics.val/loss <= 0.6', ['r1']],
      ['metrics.val/loss < 0.6', []],
      ['metrics.accuracy > 1e308', ['r3']],
      ['metrics.accuracy = Infinity', ['r3']],
      ['metrics.accuracy > -Infinity', ['r1', 'r2', 'r3']],
      ['metrics.missing != 0', []],
    ]);
  });

  it('treats a NaN metric as matching only = NaN', () => {
    expectRuns([
      ['metrics.loss = NaN', ['r3']],
      ['metrics.loss != NaN', ['r1', 'r2', 'r4']],
      ['metrics.loss < Infinity', ['r1', 'r2', 'r4']],
      ['metrics.loss >= -Infinity', ['r1', 'r2', 'r4']],
    ]);
  });

  it('compares params as strings, or as numbers when the value is a number literal', () => {
    expectRuns([
      ["params.lr = '0.01'", ['r1']],
      ["params.lr = '1e-2'", []],
      ['params.lr = 0.01', ['r1']],
      ['params.lr = 1e-2', ['r1']],
      ['params.lr < 0.05', ['r1', 'r3']],
      ['params.lr >= 0', ['r1', 'r2', 'r3']],
      ['params.lr != 0.01', ['r2', 'r3']],
      ["params.lr != '0.01'", ['r2', 'r3', 'r4']],
      ['params.depth > 20', ['r1']],
      ['params.depth < 100', ['r1', 'r2', 'r4']],
      ['params.depth IN (18, 50)', ['r1', 'r2']],
      ["params.depth IN ('18', '7')", ['r2', 'r4']],
      ['params.depth NOT IN (18)', ['r1', 'r4']],
      ["params.optimizer = 'Adam'", ['r1']],
      ['params."model.depth" = \'50\'', ['r1']],
      ["params.model.depth = '50'", ['r1']],
      ["params.model = 'it''s'", ['r4']],
      ['params.model = "it\'s"', ['r4']],
      ["parameters.model = 'it\\'s'", ['r4']],
      ['params.lr IS NULL', ['r5']],
    ]);
  });

  it('makes LIKE case-sensitive and ILIKE case-insensitive, with literal GLOB characters', () => {
    expectRuns([
      ["params.model LIKE 'ResNet%'", ['r1']],
      ["params.model LIKE 'resnet%'", ['r2']],
      ["params.model ILIKE 'RESNET%'", ['r1', 'r2']],
      ["params.model NOT LIKE 'ResNet%'", ['r2', 'r3', 'r4']],
      ["params.model NOT ILIKE 'resnet%'", ['r3', 'r4']],
      ["tags.team LIKE 'vis_on'", ['r1', 'r4']],
      ["tags.team LIKE 'vis\\_on'", ['r4']],
      ["tags.team ILIKE 'VIS\\_ON'", ['r4']],
      ["tags.team ILIKE 'vision'", ['r1', 'r2']],
      ["tags.team LIKE 'V%'", ['r2']],
      ["tags.team LIKE 'ü%'", ['r5']],
      ["tags.release LIKE '%[rc]*?'", ['r3']],
      ["tags.release LIKE 'v1 [rc]*_'", ['r3']],
      ["tags.release ILIKE 'V1 [RC]*?'", ['r3']],
      ["tags.release LIKE '%[rc]x%'", []],
      ["tags.release LIKE 'v1*'", []],
      ["attributes.run_name LIKE '%owl'", ['r1', 'r4']],
      ["attributes.run_name LIKE '%*%'", ['r4']],
      ["attributes.run_name LIKE '100\\%%'", ['r5']],
      ["attributes.run_name LIKE '%\\_%'", ['r3', 'r5']],
      ["attributes.run_name ILIKE '%\\%\\_%'", ['r5']],
      ["attributes.run_name LIKE '%'", ['r1', 'r2', 'r3', 'r4', 'r5']],
    ]);
  });

  it('translates LIKE patterns to GLOB', () => {
    assert.equal(likeToGlob('a%b_c'), 'a*b?c');
    assert.equal(likeToGlob('*?[]'), '[*][?][[]]');
    assert.equal(likeToGlob('50\\%\\_\\\\x\\y'), '50%_\\x\\y');
    assert.equal(likeToGlob('trailing\\'), 'trailing\\');
  });

  it('compares tags, including keys with dots and hostile values, as bound strings', () => {
    expectRuns([
      ["tags.`mlflow.note` = 'baseline'", ['r1']],
      ["tags.mlflow.note = 'baseline'", ['r1']],
      ["tags.team IN ('nlp', 'Vision')", ['r2', 'r3']],
      ['tags.note = "\'; DROP TABLE runs; --"', ['r4']],
      ["tags.\"'; DROP TABLE runs; --\" = 'x' OR tags.team = 'x\"); DROP TABLE runs; --'", []],
      ["tags.team = 'ünïcode'", ['r5']],
    ]);
    assert.equal(db.exec('SELECT count(*) FROM runs')[0]?.values[0]?.[0], 5);
    const { sql, params } = compileFilter(parseFilter('tags.note = "\'; DROP TABLE runs; --"'));
    assert.ok(!sql.includes('DROP') && !sql.includes('note'), sql);
    assert.deepEqual(params, ['note', "'; DROP TABLE runs; --"]);
  });

  it('compares attributes, a NULL attribute matching only IS NULL', () => {
    expectRuns([
      ["attributes.status = 'FINISHED'", ['r1', 'r5']],
      ["attributes.status IN ('FAILED', 'KILLED')", ['r2', 'r4']],
      ["attributes.status NOT IN ('FINISHED')", ['r2', 'r3', 'r4']],
      ["attributes.name ILIKE 'calm%'", ['r2']],
      ["run.id = 'r3'", ['r3']],
      ["attr.run_uuid IN ('r1', 'r2')", ['r1', 'r2']],
      ["attributes.user = 'ada'", ['r1', 'r5']],
      ["attributes.user_id ILIKE 'ADA'", ['r1', 'r4', 'r5']],
      ["attributes.user != 'ada'", ['r2', 'r4']],
      ["NOT attributes.user = 'ada'", ['r2', 'r3', 'r4']],
      ['attributes.user IS NULL', ['r3']],
      ["attributes.experiment = 'vision'", ['r1', 'r2']],
      ["attributes.experiment ILIKE 'nlp'", ['r3', 'r5']],
      ["attributes.experiment != 'vision'", ['r3', 'r4', 'r5']],
      ['attributes.experiment IS NULL', []],
      ['attributes.experiment_id = 0', ['r4']],
      ['attributes.start_time >= 2000 AND attributes.start_time < 4000', ['r2', 'r3']],
      ['attributes.end_time > 3000', ['r1', 'r4']],
      ['NOT attributes.end_time > 3000', ['r2', 'r3', 'r5']],
      ['attributes.end_time IS NULL', ['r3']],
      ['attributes.exit_code != 0', ['r2', 'r4']],
      ['attributes.exit_code IN (1, 137)', ['r2', 'r4']],
      ["attributes.parent_run_id = 'r1'", ['r3']],
      ["attributes.command LIKE 'python train.py%'", ['r1', 'r2']],
      ["attributes.entry_point = 'train.py'", ['r1', 'r2']],
      ['attributes.source IS NOT NULL', ['r1']],
    ]);
  });

  it('measures the duration of a running run up to now', () => {
    expectRuns([
      ['attributes.duration > 5000', ['r3', 'r4']],
      ['attributes.duration < 1000', ['r2', 'r5']],
      ['attributes.duration = 100000', ['r3']],
    ]);
    const { sql, params } = compileFilter(parseFilter('attributes.duration > 5000'), { now: 3500 });
    const result = db.exec(`SELECT r.id FROM runs r WHERE ${sql} ORDER BY r.id`, params);
    assert.deepEqual(
      result[0]?.values.map((row) => row[0]),
      ['r4'],
    );
  });

  it('matches a run when any of its inputs matches', () => {
    expectRuns([
      ["inputs.digest = 'abc123'", ['r1', 'r2']],
      ["inputs.path LIKE '%v2%'", ['r3']],
      ["inputs.name = 'test'", ['r1']],
      ["inputs.name != 'train'", ['r1']],
      ["datasets.digest IN ('999fff')", ['r3']],
      ['inputs.name IS NULL', ['r4', 'r5']],
    ]);
  });

  it('combines comparisons with AND, OR, NOT and parentheses', () => {
    expectRuns([
      ["metrics.loss < 1 OR attributes.status = 'RUNNING'", ['r1', 'r3', 'r4']],
      ["params.lr = 0.01 OR params.lr = 0.1 AND tags.team = 'Vision'", ['r1', 'r2']],
      ["params.lr = 0.1 AND tags.team = 'x' OR params.lr = 0.01", ['r1']],
      ["(params.lr = 0.01 OR params.lr = 0.1) AND tags.team = 'Vision'", ['r2']],
      ["NOT (attributes.status = 'FINISHED' OR attributes.status = 'FAILED')", ['r3', 'r4']],
      ["NOT NOT attributes.status = 'FAILED'", ['r2']],
      ["not attributes.status = 'FAILED' and metrics.loss < 1", ['r1', 'r4']],
      ['NOT (metrics.loss < 1 AND NOT attributes.end_time IS NULL)', ['r2', 'r3', 'r5']],
    ]);
  });

  it('compiles to one parenthesized expression that can join a larger WHERE', () => {
    assert.deepEqual(select("metrics.loss < 1 OR attributes.status = 'RUNNING'", "r.id != 'r3'"), ['r1', 'r4']);
    assert.deepEqual(select("attributes.user != 'ada'", "r.id != 'r2'"), ['r4']);
  });

  it('runs the longest OR chain the parser accepts', () => {
    const term = "tag.team='x' OR ";
    const count = Math.floor((MAX_FILTER_LENGTH - 20) / term.length);
    const filter = `${term.repeat(count)}tag.team='nlp'`;
    assert.deepEqual(select(filter), ['r3']);
    assert.deepEqual(select(`NOT (${filter})`), ['r1', 'r2', 'r4', 'r5']);
  });

  it('refuses a hand-built tree that breaks the rules', () => {
    const metric = { entity: 'metric', key: 'loss' } as const;
    const bad: FilterComparison[] = [
      {
        kind: 'comparison',
        field: metric,
        operator: 'LIKE',
        value: { type: 'string', value: 'a' },
        position: 3,
        length: 4,
      },
      {
        kind: 'comparison',
        field: metric,
        operator: '<',
        value: { type: 'string', value: 'a' },
        position: 3,
        length: 4,
      },
      {
        kind: 'comparison',
        field: metric,
        operator: 'IN',
        value: { type: 'number', value: 1 },
        position: 3,
        length: 4,
      },
      {
        kind: 'comparison',
        field: metric,
        operator: 'IN',
        value: { type: 'numbers', values: [] },
        position: 3,
        length: 4,
      },
      {
        kind: 'comparison',
        field: metric,
        operator: 'IS NULL',
        value: { type: 'number', value: 1 },
        position: 3,
        length: 4,
      },
      { kind: 'comparison', field: metric, operator: '=', value: { type: 'none' }, position: 3, length: 4 },
    ];
    for (const node of bad) {
      assert.throws(
        () => compileFilter(node),
        (error) => error instanceof FilterError && error.position === 3,
      );
    }
    let deep: FilterNode = bad[0];
    for (let i = 0; i < 100_000; i += 1) deep = { kind: 'not', operand: deep };
    assert.throws(() => compileFilter(deep), /nests too deeply/);
    assert.deepEqual(compileFilter({ kind: 'or', operands: [] }).sql, '0');
  });
});
