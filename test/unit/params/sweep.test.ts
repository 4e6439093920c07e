import * as assert from 'node:assert/strict';
import type { ParamSpec } from '../../../src/params/paramSpec';
import { ParamError, renderArgs } from '../../../src/params/paramSpec';
import { expandGrid, parseSweep, planGrid, validateSweep } from '../../../src/params/sweep';

function spec(name: string, type: ParamSpec['type'], extra: Partial<ParamSpec> = {}): ParamSpec {
  return {
    name,
    flags: [`--${name}`],
    kind: 'option',
    type,
    default: null,
    required: false,
    action: 'store',
    source: 'argparse',
    location: { line: 0, column: 0, endLine: 0, endColumn: 0 },
    ...extra,
  };
}

const lr = spec('lr', 'float');
const epochs = spec('epochs', 'int');
const name = spec('name', 'str');

function values(s: ParamSpec | undefined, text: string): readonly string[] | string {
  const parsed = parseSweep(s, text);
  return 'error' in parsed ? parsed.error : parsed.values;
}

describe('sweeps', () => {
  it('expands comma lists, trimming spaces around items', () => {
    assert.deepEqual(values(lr, '0.1,0.01, 0.001'), ['0.1', '0.01', '0.001']);
    assert.deepEqual(values(name, ' a , b '), ['a', 'b']);
  });

  it('expands inclusive integer ranges, up or down, with an optional step', () => {
    assert.deepEqual(values(epochs, '1..5'), ['1', '2', '3', '4', '5']);
    assert.deepEqual(values(epochs, '5..1'), ['5', '4', '3', '2', '1']);
    assert.deepEqual(values(epochs, '1..10..3'), ['1', '4', '7', '10']);
    assert.deepEqual(values(epochs, '1..9..3'), ['1', '4', '7']);
    assert.deepEqual(values(epochs, '-2..2..2'), ['-2', '0', '2']);
    assert.deepEqual(values(epochs, '3..3'), ['3']);
  });

  it('expands float ranges with a step, without float noise', () => {
    assert.deepEqual(values(lr, '0..1..0.25'), ['0', '0.25', '0.5', '0.75', '1']);
    assert.deepEqual(values(lr, '0.1..0.5..0.1'), ['0.1', '0.2', '0.3', '0.4', '0.5']);
    assert.deepEqual(values(lr, '1..0..0.5'), ['1', '0.5', '0']);
    assert.deepEqual(values(lr, '1..3'), ['1', '2', '3']);
  });

  it('expands geometric ranges', () => {
    assert.deepEqual(values(lr, '1e-4..1e-1..*10'), ['0.0001', '0.001', '0.01', '0.1']);
    assert.deepEqual(values(epochs, '16..128..*2'), ['16', '32', '64', '128']);
    assert.deepEqual(values(epochs, '128..16..*2'), ['128', '64', '32', '16']);
  });

  it('combines items, and takes quoted items literally', () => {
    assert.deepEqual(values(epochs, '1..3, 10'), ['1', '2', '3', '10']);
    assert.deepEqual(values(name, '"a,b", c'), ['a,b', 'c']);
    assert.deepEqual(values(name, `"say \\"hi\\"", "1..3", ""`), ['say "hi"', '1..3', '']);
    assert.deepEqual(values(name, '"a,b"'), ['a,b']);
    assert.deepEqual(values(epochs, '"1..3"'), ['1..3']);
  });

  it('leaves single values alone, ranges included for non-numeric parameters', () => {
    assert.deepEqual(values(name, '../data/train'), ['../data/train']);
    assert.deepEqual(values(name, '1..5'), ['1..5']);
    assert.deepEqual(values(spec('layers', 'int', { nargs: '+' }), '"64 128" 256'), ['"64 128" 256']);
    assert.deepEqual(values(undefined, '  spaced  '), ['  spaced  ']);
  });

  it('rejects malformed sweeps with a reason', () => {
    assert.deepEqual(values(lr, '0..1'), ['0', '1'], 'integer bounds step by 1, even for a float parameter');
    assert.equal(values(lr, '0.5..1'), '0.5..1: a range of non-integers needs a step, e.g. 0..1..0.25');
    assert.equal(values(epochs, '1..2..0.5'), '1..2..0.5: an integer parameter needs integer bounds and step');
    assert.equal(values(lr, '0..1..0'), '0..1..0: the step must be positive (the range counts down when start > end)');
    assert.equal(
      values(lr, '0..1..-0.5'),
      '0..1..-0.5: the step must be positive (the range counts down when start > end)',
    );
    assert.equal(values(lr, '0..1..*10'), '0..1..*10: a geometric range needs bounds of the same sign, neither zero');
    assert.equal(values(lr, '1..8..*1'), '1..8..*1: a geometric step must be greater than 1, e.g. 1e-4..1e-1..*10');
    assert.equal(
      values(lr, '0.1,,0.2'),
      `empty value in '0.1,,0.2': remove the extra comma, or quote an empty string ("")`,
    );
    assert.equal(values(epochs, '1..100000'), '1..100000 has 100000 values, more than the limit of 1000');
  });

  it('validates every value of a sweep', () => {
    assert.equal(validateSweep(epochs, '1..3, 4.5'), "epochs: expected an integer, got '4.5'");
    assert.equal(
      validateSweep(spec('opt', 'choice', { choices: ['sgd', 'adam'] }), 'sgd, rmsprop'),
      "opt: expected one of sgd, adam, got 'rmsprop'",
    );
    assert.equal(validateSweep(lr, '0..0.5'), 'lr: 0..0.5: a range of non-integers needs a step, e.g. 0..1..0.25');
    assert.equal(validateSweep(lr, '1e-3, 1e-4'), undefined);
  });

  describe('grids', () => {
    const specs = [lr, epochs, name, spec('amp', 'bool', { action: 'store_true' })];

    it('expands the cartesian product, the first parameter varying slowest', () => {
      assert.deepEqual(expandGrid(specs, { lr: '0.1, 0.01', epochs: '1..2', name: 'base', amp: undefined }), [
        { lr: '0.1', epochs: '1', name: 'base' },
        { lr: '0.1', epochs: '2', name: 'base' },
        { lr: '0.01', epochs: '1', name: 'base' },
        { lr: '0.01', epochs: '2', name: 'base' },
      ]);
      assert.deepEqual(expandGrid(specs, {}), [{}]);
    });

    it('keeps values for names no spec declares, splitting only on commas', () => {
      assert.deepEqual(expandGrid([lr], { lr: '0.1', extra: 'x,y', range: '1..3' }), [
        { lr: '0.1', extra: 'x', range: '1..3' },
        { lr: '0.1', extra: 'y', range: '1..3' },
      ]);
    });

    it('feeds renderArgs one run at a time', () => {
      const runs = expandGrid(specs, { lr: '1e-3,1e-2', amp: 'true,false' });
      assert.deepEqual(
        runs.map((run) => renderArgs(specs, run)),
        [
          ['--lr', '1e-3', '--amp'],
          ['--lr', '1e-3'],
          ['--lr', '1e-2', '--amp'],
          ['--lr', '1e-2'],
        ],
      );
    });

    it('counts a grid before expanding it, and refuses one over the limit', () => {
      const plan = planGrid(specs, { lr: '1..10', epochs: '1..10', name: 'a,b,c,d,e,f,g,h,i,j,k' });
      assert.equal(plan.count, 1100);
      assert.deepEqual(plan.problems, [
        'The sweep makes 1100 runs (lr: 10 × epochs: 10 × name: 11), more than the limit of 1000',
      ]);
      assert.throws(
        () => expandGrid(specs, { lr: '1..10', epochs: '1..10', name: 'a,b,c,d,e,f,g,h,i,j,k' }),
        (error: unknown) => error instanceof ParamError && /1100 runs/.test(error.message),
      );
      assert.equal(expandGrid(specs, { lr: '1..10', epochs: '1..10' }, { maxCombinations: 100 }).length, 100);
      assert.throws(() => expandGrid(specs, { lr: '1..10', epochs: '1..11' }, { maxCombinations: 100 }), /110 runs/);
    });

    it('collects the problems of every parameter', () => {
      assert.throws(
        () => expandGrid(specs, { lr: 'fast, 0.1', epochs: '1..2..0.5' }),
        (error: unknown) =>
          error instanceof ParamError &&
          error.problems.join('\n') ===
            "lr: expected a number, got 'fast'\nepochs: 1..2..0.5: an integer parameter needs integer bounds and step",
      );
    });
  });
});
