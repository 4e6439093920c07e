import * as assert from 'node:assert/strict';
import type { ParamSpec } from '../../../src/params/paramSpec';
import { ParamError, renderArgs, splitWords, validateValue, validateValues } from '../../../src/params/paramSpec';
import { discoverPythonParams } from '../../../src/params/pythonParams';

const at = { line: 0, column: 0, endLine: 0, endColumn: 0 };

function option(name: string, extra: Partial<ParamSpec> = {}): ParamSpec {
  return {
    name,
    flags: [`--${name.replace(/_/g, '-')}`],
    kind: 'option',
    type: 'str',
    default: null,
    required: false,
    action: 'store',
    source: 'argparse',
    location: at,
    ...extra,
  };
}

function positional(name: string, extra: Partial<ParamSpec> = {}): ParamSpec {
  return option(name, { flags: [], kind: 'positional', required: true, ...extra });
}

/** The parameters of a small but realistic argparse script. */
const script = discoverPythonParams(
  [
    'import argparse',
    'p = argparse.ArgumentParser()',
    'p.add_argument("data")',
    'p.add_argument("-l", "--lr", type=float, default=0.01)',
    'p.add_argument("--epochs", type=int, default=10)',
    'p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")',
    'p.add_argument("--amp", action="store_true")',
    'p.add_argument("--no-shuffle", dest="shuffle", action="store_false")',
    'p.add_argument("--ema", action=argparse.BooleanOptionalAction, default=True)',
    'p.add_argument("--layers", type=int, nargs="+", default=[64])',
    'p.add_argument("--tag", action="append")',
    'p.add_argument("-v", action="count", default=0)',
    'p.add_argument("--offset", type=float, default=0.0)',
  ].join('\n'),
).specs;

describe('parameter values', () => {
  describe('validateValue', () => {
    const spec = (name: string): ParamSpec => {
      const found = script.find((s) => s.name === name);
      assert.ok(found, name);
      return found;
    };

    it('accepts what Python would parse', () => {
      for (const [name, text] of [
        ['lr', '0.01'],
        ['lr', '1e-3'],
        ['lr', '-.5'],
        ['lr', '1_000.5'],
        ['lr', 'inf'],
        ['lr', '3'],
        ['epochs', '12'],
        ['epochs', '-1'],
        ['epochs', '1_000'],
        ['optimizer', 'adam'],
        ['amp', 'true'],
        ['amp', 'No'],
        ['shuffle', '0'],
        ['layers', '64 128 256'],
        ['tag', 'baseline "second tag"'],
        ['v', '2'],
        ['data', '/data/imagenet'],
        ['lr', ''],
      ] as const) {
        assert.equal(validateValue(spec(name), text), undefined, `${name}=${text}`);
      }
    });

    it('explains what is wrong', () => {
      assert.equal(validateValue(spec('lr'), 'abc'), "lr: expected a number, got 'abc'");
      assert.equal(validateValue(spec('epochs'), '2.5'), "epochs: expected an integer, got '2.5'");
      assert.equal(validateValue(spec('optimizer'), 'rmsprop'), "optimizer: expected one of sgd, adam, got 'rmsprop'");
      assert.equal(validateValue(spec('amp'), 'maybe'), "amp: expected true or false, got 'maybe'");
      assert.equal(validateValue(spec('layers'), '64 wide'), "layers: expected an integer, got 'wide'");
      assert.equal(
        validateValue(spec('v'), 'lots'),
        "v: expected how many times to repeat the flag (0, 1, 2…), got 'lots'",
      );
      assert.equal(validateValue(spec('data'), '  '), 'data: a value is required');
    });

    it('checks ranges, case-insensitive choices, URIs and value counts', () => {
      const depth = option('depth', { type: 'int', range: { min: 1, max: 10 } });
      assert.equal(validateValue(depth, '11'), 'depth: expected a number at least 1 and at most 10, got 11');
      assert.equal(validateValue(depth, '10'), undefined);
      const ratio = option('ratio', { type: 'float', range: { min: 0, max: 1, minOpen: true } });
      assert.equal(validateValue(ratio, '0'), 'ratio: expected a number greater than 0 and at most 1, got 0');
      assert.equal(validateValue(option('c', { type: 'int', range: { min: 0, clamp: true } }), '-5'), undefined);
      const objective = option('objective', { type: 'choice', choices: ['binary'], caseInsensitive: true });
      assert.equal(validateValue(objective, 'BINARY'), undefined);
      assert.equal(validateValue(option('model', { type: 'uri' }), 'runs:/abc/model'), undefined);
      assert.equal(
        validateValue(option('model', { type: 'uri' }), 'model.pkl'),
        "model: expected a URI such as s3://bucket/data or file:///data, got 'model.pkl'",
      );
      const size = option('size', { type: 'int', nargs: 2 });
      assert.equal(validateValue(size, '224'), 'size: expected 2 values, got 1');
      assert.equal(validateValue(size, '224 224'), undefined);
      assert.equal(
        validateValue(option('ids', { type: 'int', choices: [1, 2], nargs: '+' }), '1 3'),
        "ids: expected one of 1, 2, got '3'",
      );
      assert.equal(validateValue(option('rate', { type: 'choice', choices: [0.1, 0.01] }), '0.10'), undefined);
    });

    it('lists every problem of a set of values, required ones included', () => {
      assert.deepEqual(validateValues(script, { lr: 'fast', epochs: 3 }), [
        'data: a value is required',
        "lr: expected a number, got 'fast'",
      ]);
    });
  });

  describe('renderArgs', () => {
    it('renders options in declaration order, then positionals, as an argv array', () => {
      assert.deepEqual(
        renderArgs(script, { data: '/data/my images', lr: '0.001', epochs: 5, amp: true, optimizer: 'adam' }),
        ['--lr', '0.001', '--epochs', '5', '--optimizer', 'adam', '--amp', '/data/my images'],
      );
    });

    it('renders flags by their effect: store_true when true, store_false when false, --no-x when off', () => {
      assert.deepEqual(renderArgs(script, { data: 'd', amp: false, shuffle: true, ema: true }), ['--ema', 'd']);
      assert.deepEqual(renderArgs(script, { data: 'd', amp: 'yes', shuffle: 'false', ema: 'false' }), [
        '--amp',
        '--no-shuffle',
        '--no-ema',
        'd',
      ]);
    });

    it('expands lists: nargs after one flag, append once per value, count as repeats', () => {
      assert.deepEqual(renderArgs(script, { data: 'd', layers: '64 128', tag: ['a b', 'c'], v: '3' }), [
        '--layers',
        '64',
        '128',
        '--tag',
        'a b',
        '--tag',
        'c',
        '-v',
        '-v',
        '-v',
        'd',
      ]);
      assert.deepEqual(renderArgs(script, { data: 'd', layers: ['32'], tag: 'x "y z"' }), [
        '--layers',
        '32',
        '--tag',
        'x',
        '--tag',
        'y z',
        'd',
      ]);
    });

    it('keeps values that start with a dash attached to their option, and ends options before dashed positionals', () => {
      assert.deepEqual(renderArgs(script, { data: '-weird-dir', offset: '-0.5' }), [
        '--offset=-0.5',
        '--',
        '-weird-dir',
      ]);
      assert.deepEqual(renderArgs(script, { data: 'd', lr: '-1' }), ['--lr=-1', 'd']);
      assert.deepEqual(renderArgs([option('x', { flags: ['-x'] })], { x: '-3' }), ['-x-3']);
    });

    it('leaves out parameters without a value so the script uses its default', () => {
      assert.deepEqual(renderArgs(script, { data: 'd', lr: '', epochs: undefined }), ['d']);
    });

    it('throws a ParamError that lists every invalid value', () => {
      assert.throws(
        () => renderArgs(script, { lr: 'x', optimizer: 'rmsprop' }),
        (error: unknown) =>
          error instanceof ParamError &&
          error.problems.length === 3 &&
          error.message ===
            "data: a value is required\nlr: expected a number, got 'x'\noptimizer: expected one of sgd, adam, got 'rmsprop'",
      );
    });

    it('places subcommand words between the scopes they belong to', () => {
      const specs: ParamSpec[] = [
        option('verbose', { type: 'bool', action: 'store_true' }),
        option('device', { subcommand: 'model' }),
        option('lr', { type: 'float', subcommand: 'model train' }),
        positional('name', { subcommand: 'model train' }),
        option('other', { subcommand: 'export', required: true }),
      ];
      assert.deepEqual(
        renderArgs(specs, { verbose: 'true', device: 'cpu', lr: '0.1', name: 'run1' }, { subcommand: 'model train' }),
        ['--verbose', 'model', '--device', 'cpu', 'train', '--lr', '0.1', 'run1'],
      );
      assert.deepEqual(renderArgs(specs, { verbose: true }), ['--verbose']);
    });

    it('renders store_const choices with the flag of the chosen value', () => {
      const format = option('format', {
        type: 'choice',
        action: 'store_const',
        flags: ['--onnx', '--torchscript'],
        choices: ['onnx', 'torchscript'],
        constFlags: { onnx: '--onnx', torchscript: '--torchscript' },
      });
      assert.deepEqual(renderArgs([format], { format: 'torchscript' }), ['--torchscript']);
      assert.throws(() => renderArgs([format], { format: 'tflite' }), /expected one of onnx, torchscript/);
    });
  });

  it('splits list values like a shell', () => {
    assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g "h\\"i" ''`), ['a', 'b c', 'd e', 'f g', 'h"i', '']);
    assert.deepEqual(splitWords('   '), []);
  });
});
