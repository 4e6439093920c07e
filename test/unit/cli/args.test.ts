import * as assert from 'node:assert/strict';
import type { CommandSpec } from '../../../src/cli/args';
import { commandHelp, didYouMean, editDistance, flag, flags, parseArgs } from '../../../src/cli/args';
import { readConditions } from '../../../src/cli/checkCommand';
import { COMMANDS } from '../../../src/cli/cli';
import { CliError, EXIT } from '../../../src/cli/errors';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'A command for the tests.',
  usage: ['runlog demo RUN… [--format F]'],
  positionals: { name: 'RUN', min: 1, max: 2 },
  flags: [
    { name: 'format', value: 'F', choices: ['table', 'json'], help: 'the format' },
    { name: 'order-by', value: 'CLAUSE', repeat: true, help: 'an order' },
    { name: 'max', value: 'X', help: 'a bound' },
    { name: 'only-differences', help: 'a switch' },
  ],
};

function usageError(argv: string[]): string {
  try {
    parseArgs(spec, argv);
  } catch (error) {
    assert.ok(error instanceof CliError);
    assert.equal(error.exitCode, EXIT.usage);
    return error.message.split('\n')[0] ?? '';
  }
  assert.fail(`${argv.join(' ')} was accepted`);
}

describe('the CLI argument reader', () => {
  it('reads flags with values (separate or with =), switches, repeats and positionals', () => {
    const args = parseArgs(spec, [
      'a',
      '--format=json',
      '--order-by',
      'x ASC',
      '--max',
      '-0.5',
      '--order-by',
      'y',
      '--only-differences',
      'b',
    ]);
    assert.deepEqual(args.positionals, ['a', 'b']);
    assert.equal(flag(args, 'format'), 'json');
    assert.equal(flag(args, 'max'), '-0.5', 'a value may start with a dash');
    assert.deepEqual(flags(args, 'order-by'), ['x ASC', 'y']);
    assert.equal(flag(args, 'only-differences'), '');
    assert.deepEqual(parseArgs(spec, ['--', '--format']).positionals, ['--format'], '-- ends the flags');
    assert.equal(parseArgs(spec, ['-h']).help, true, 'help needs no positionals');
  });

  it('refuses what it cannot read, naming the closest flag', () => {
    assert.equal(usageError(['a', '--fromat', 'json']), 'unknown flag --fromat (did you mean --format?)');
    assert.equal(usageError(['a', '--only-diff']), 'unknown flag --only-diff (did you mean --only-differences?)');
    assert.equal(usageError(['a', '--zzz']), 'unknown flag --zzz');
    assert.equal(usageError(['a', '-f', 'json']), 'unknown option -f (did you mean --format?)');
    assert.equal(usageError(['a', '--format']), '--format needs a value (F)');
    assert.equal(
      usageError(['a', '--format', 'jsn']),
      '--format is one of table, json, not "jsn" (did you mean json?)',
    );
    assert.equal(usageError(['a', '--max', '1', '--max', '2']), '--max is given twice');
    assert.equal(usageError(['a', '--only-differences=yes']), '--only-differences takes no value');
    assert.equal(usageError([]), 'at least 1 RUN expected');
    assert.equal(usageError(['a', 'b', 'c']), 'too many arguments: "c" (at most 2 RUN)');
  });

  it('measures edit distance with transpositions and suggests only close words', () => {
    assert.equal(editDistance('compare', 'comapre'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(didYouMean('promte', ['promote', 'runs']), 'promote');
    assert.equal(didYouMean('xyz', ['promote', 'runs']), undefined);
    assert.equal(didYouMean('better', ['better-than', 'metric']), 'better-than', 'a prefix counts');
  });

  it('writes help from the spec: usage, every flag with its values, details', () => {
    const help = commandHelp(spec);
    assert.match(help, /^usage: runlog demo RUN… \[--format F\]\n\nA command for the tests\.\n\n/);
    assert.match(help, /\n {2}--format F +the format \(table \| json\)\n/);
    assert.match(help, /\n {2}--order-by CLAUSE +an order; may be repeated\n/);
  });

  it('gives every command a usage line, a summary and help for each flag', () => {
    for (const command of COMMANDS) {
      assert.ok(command.spec.usage[0]?.startsWith(`runlog ${command.spec.name}`), command.spec.name);
      assert.ok(command.spec.summary.endsWith('.'), command.spec.name);
      for (const f of command.spec.flags) assert.ok(f.help.length > 5, `${command.spec.name} --${f.name}`);
    }
  });
});

describe("check's conditions", () => {
  const check = COMMANDS.find((c) => c.spec.name === 'check');
  const read = (argv: string[], baseline = true): ReturnType<typeof readConditions> => {
    assert.ok(check);
    return readConditions(check.spec, parseArgs(check.spec, ['run', ...argv]), baseline);
  };

  it('opens one per --metric; the flags after it are its own, those before every --metric the first', () => {
    assert.deepEqual(
      read(['--goal', 'max', '--metric', 'score', '--min-abs-change', '0.5', '--metric', 'loss', '--stat', 'best']),
      [
        { metric: 'score', stat: 'last', goal: 'max', minAbsChange: 0.5 },
        { metric: 'loss', stat: 'best' },
      ],
    );
    assert.deepEqual(read(['--metric', 'rmse', '--max', '3', '--min', '1'], false), [
      { metric: 'rmse', stat: 'last', max: 3, min: 1 },
    ]);
  });

  it('refuses conditions that check nothing or cannot pass', () => {
    const refused = (argv: string[], baseline: boolean, message: RegExp): void => {
      assert.throws(
        () => read(argv, baseline),
        (error: unknown) => error instanceof CliError && error.exitCode === EXIT.usage && message.test(error.message),
        argv.join(' '),
      );
    };
    refused([], true, /--metric KEY is required/);
    refused(['--metric', 'rmse'], false, /has nothing to check: add --max X, --min X or --better-than/);
    refused(['--metric', 'rmse', '--min-rel-change', '0.1'], false, /compare with a baseline: add --better-than/);
    refused(['--metric', 'rmse', '--min-rel-change', '0'], true, /above 0 and at most 1/);
    refused(['--metric', 'rmse', '--min-abs-change', '0'], true, /a positive number/);
    refused(['--max', '1', '--metric', 'rmse', '--max', '2'], true, /--max is given twice for --metric rmse/);
    refused(['--metric', 'rmse', '--max', '1e'], true, /--max takes a number, not "1e"/);
  });
});
