import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ParamSpec } from '../../../src/params/paramSpec';
import { discoverPythonParams } from '../../../src/params/pythonParams';

function fixture(name: string): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return readFileSync(join(dir, 'test/fixtures/scripts', name), 'utf8');
}

function summary(s: ParamSpec): unknown[] {
  return [
    s.subcommand ?? '-',
    s.name,
    s.kind,
    s.flags.join(' '),
    s.type,
    s.action,
    s.default,
    s.required,
    s.location.line,
  ];
}

describe('click discovery', () => {
  const found = discoverPythonParams(fixture('click_train.py'));

  it('finds options and arguments of the group and each command, in declaration order', () => {
    assert.equal(found.framework, 'click');
    assert.deepEqual(found.subcommands, ['train', 'predict']);
    assert.deepEqual(found.skipped, []);
    assert.deepEqual(found.specs.map(summary), [
      ['-', 'log_level', 'option', '--log-level', 'choice', 'store', 'info', false, 8],
      ['train', 'data_dir', 'positional', '', 'path', 'store', null, true, 16],
      ['train', 'extra_files', 'positional', '', 'path', 'store', null, false, 17],
      ['train', 'learning_rate', 'option', '--lr -l', 'float', 'store', 0.01, false, 18],
      ['train', 'n_estimators', 'option', '--n-estimators', 'int', 'store', 200, false, 20],
      ['train', 'subsample', 'option', '--subsample', 'float', 'store', 0.8, false, 22],
      ['train', 'objective', 'option', '--objective', 'choice', 'store', 'regression', false, 23],
      ['train', 'early_stopping', 'option', '--early-stopping', 'bool', 'boolean_optional', true, false, 25],
      ['train', 'dry_run', 'option', '--dry-run', 'bool', 'store_true', false, false, 26],
      ['train', 'features', 'option', '--feature', 'str', 'append', null, false, 27],
      ['train', 'seed', 'option', '--seed', 'int', 'store', null, true, 28],
      ['train', 'verbose', 'option', '-v --verbose', 'int', 'count', 0, false, 29],
      ['train', 'max_depth', 'option', '--max-depth', 'int', 'store', 6, false, 30],
      ['train', 'min_child_weight', 'option', '--min-child-weight', 'float', 'store', 1, false, 31],
      ['predict', 'model_path', 'positional', '', 'path', 'store', null, true, 39],
      ['predict', 'batch_size', 'option', '--batch-size', 'int', 'store', 1024, false, 40],
    ]);
  });

  it('reads Choice, IntRange, FloatRange, switches, envvar and help', () => {
    const get = (name: string): ParamSpec => {
      const spec = found.specs.find((s) => s.name === name);
      assert.ok(spec, name);
      return spec;
    };
    assert.deepEqual(get('learning_rate'), {
      name: 'learning_rate',
      flags: ['--lr', '-l'],
      kind: 'option',
      type: 'float',
      default: 0.01,
      help: 'Learning rate for the booster.',
      typeSource: 'float',
      required: false,
      action: 'store',
      source: 'click',
      location: { line: 18, column: 0, endLine: 19, endColumn: 52 },
      subcommand: 'train',
    });
    assert.deepEqual(get('objective').choices, ['regression', 'binary', 'multiclass']);
    assert.equal(get('objective').caseInsensitive, true);
    assert.deepEqual(get('n_estimators').range, { min: 1, max: 10000 });
    assert.deepEqual(get('subsample').range, { min: 0, max: 1, minOpen: true });
    assert.deepEqual(get('early_stopping').negativeFlags, ['--no-early-stopping']);
    assert.equal(get('early_stopping').help, 'Stop when validation stalls.', 'from `from click import option`');
    assert.equal(get('seed').envvar, 'TRAIN_SEED');
    assert.equal(get('extra_files').nargs, '*');
  });

  it('follows click naming and flag rules', () => {
    const specs = discoverPythonParams(
      [
        'import click as ck',
        'from click import option as opt, argument',
        '@ck.command()',
        '@opt("-n", "--num-layers", "--layers")',
        '@opt("--Upper-Case")',
        '@opt("--shout/--no-shout", " /-S", default=False)',
        '@opt("--cache", is_flag=True, default=True)',
        '@opt("--mode", flag_value="fast")',
        '@opt("--point", nargs=2, type=float)',
        '@opt("--pair", type=(str, int))',
        '@opt("--name", default=lambda: os.environ["USER"])',
        '@opt("--hidden", hidden=True)',
        '@opt("--clamped", type=ck.IntRange(min=0, clamp=True))',
        '@argument("input-file", default="-")',
        'def main(**kwargs):',
        '    pass',
      ].join('\n'),
    ).specs;
    assert.deepEqual(
      specs.map((s) => [s.name, s.type, s.action, s.default, s.nargs ?? null]),
      [
        ['num_layers', 'str', 'store', null, null],
        ['upper_case', 'str', 'store', null, null],
        ['shout', 'bool', 'boolean_optional', false, null],
        ['cache', 'bool', 'store_false', true, null],
        ['mode', 'bool', 'store_const', null, null],
        ['point', 'float', 'store', null, 2],
        ['pair', 'str', 'store', null, 2],
        ['name', 'str', 'store', null, null],
        ['hidden', 'str', 'store', null, null],
        ['clamped', 'int', 'store', null, null],
        ['input_file', 'str', 'store', '-', null],
      ],
    );
    assert.deepEqual(specs[2].negativeFlags, ['--no-shout', '-S']);
    assert.equal(specs[4].constValue, 'fast');
    assert.equal(specs[7].defaultSource, 'lambda: os.environ["USER"]');
    assert.equal(specs[8].hidden, true);
    assert.deepEqual(specs[9].range, { min: 0, clamp: true });
    assert.equal(specs[10].required, false, 'an argument with a default is optional');
  });

  it('names subcommands like click 8.2, nested groups included', () => {
    const result = discoverPythonParams(
      [
        'import click',
        '@click.group()',
        'def cli(): pass',
        '@cli.group()',
        'def data_grp(): pass',
        '@data_grp.command()',
        '@click.option("--force", is_flag=True)',
        'def download_cmd(force): pass',
        '@cli.command(name="fit")',
        '@click.option("--epochs", default=3)',
        'def train_model(epochs): pass',
        '@click.option("--orphan")',
        'class NotACommand: pass',
        'def helper(): pass',
      ].join('\n'),
    );
    assert.deepEqual(result.subcommands, ['data', 'data download', 'fit']);
    assert.deepEqual(
      result.specs.map((s) => [s.subcommand, s.name]),
      [
        ['data download', 'force'],
        ['fit', 'epochs'],
      ],
    );
  });

  it('reports computed option names and ignores decorators that are not click', () => {
    const result = discoverPythonParams(
      [
        'import click',
        'import functools',
        '@functools.lru_cache()',
        'def cached(): pass',
        '@click.command()',
        '@click.option(*NAMES)',
        '@click.option(f"--{PREFIX}-rate")',
        '@click.option("--ok", type=int)',
        'def main(**kw): pass',
      ].join('\n'),
    );
    assert.deepEqual(
      result.specs.map((s) => s.name),
      ['ok'],
    );
    assert.deepEqual(
      result.skipped.map((s) => [s.line, s.reason]),
      [
        [5, 'the option names are computed at run time'],
        [6, 'the option names are computed at run time'],
      ],
    );
  });

  it("leaves other libraries' command decorators alone", () => {
    const result = discoverPythonParams(
      'import typer\napp = typer.Typer()\n@app.command()\ndef train(lr: float = 0.1):\n    pass\n',
    );
    assert.deepEqual(result, { framework: 'none', specs: [], subcommands: [], skipped: [] });
  });

  it('reports both frameworks when a file uses both', () => {
    const result = discoverPythonParams(
      'import argparse, click\np = argparse.ArgumentParser()\np.add_argument("--a")\n@click.command()\n@click.option("--b")\ndef main(b): pass\n',
    );
    assert.equal(result.framework, 'mixed');
    assert.deepEqual(
      result.specs.map((s) => [s.source, s.name]),
      [
        ['argparse', 'a'],
        ['click', 'b'],
      ],
    );
  });
});
