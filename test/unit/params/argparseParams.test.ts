import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ParamSpec } from '../../../src/params/paramSpec';
import { discoverPythonParams } from '../../../src/params/pythonParams';

/** Tests run from out-params/…, so find the repository by walking up to package.json. */
function fixture(name: string): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return readFileSync(join(dir, 'test/fixtures/scripts', name), 'utf8');
}

/** name, option strings, type, default, required, 0-based line: what the launcher shows. */
function rows(specs: readonly ParamSpec[]): unknown[][] {
  return specs.map((s) => [s.name, s.flags.join(' '), s.type, s.default, s.required, s.location.line]);
}

function byName(specs: readonly ParamSpec[], name: string, subcommand?: string): ParamSpec {
  const spec = specs.find((s) => s.name === name && s.subcommand === subcommand);
  assert.ok(spec, `no parameter ${name}`);
  return spec;
}

describe('argparse discovery', () => {
  describe('an ImageNet-style training script', () => {
    const found = discoverPythonParams(fixture('imagenet_train.py'));

    it('finds every argument across groups and multi-line calls, in order', () => {
      assert.equal(found.framework, 'argparse');
      assert.deepEqual(found.skipped, []);
      assert.deepEqual(rows(found.specs), [
        ['data', '', 'str', 'imagenet', false, 25],
        ['arch', '-a --arch', 'str', 'resnet18', false, 27],
        ['workers', '-j --workers', 'int', null, false, 34],
        ['dummy', '--dummy', 'bool', false, false, 36],
        ['image_size', '--image-size', 'choice', 224, false, 37],
        ['epochs', '--epochs', 'int', 90, false, 40],
        ['start_epoch', '--start-epoch', 'int', 0, false, 42],
        ['batch_size', '-b --batch-size', 'int', 256, false, 44],
        ['lr', '--lr --learning-rate', 'float', 0.1, false, 52],
        ['momentum', '--momentum', 'float', 0.9, false, 54],
        ['weight_decay', '--wd --weight-decay', 'float', 1e-4, false, 56],
        ['label_smoothing', '--label-smoothing', 'float', 0, false, 59],
        ['lr_step', '--lr-step', 'int', [30, 60, 80], false, 60],
        ['print_freq', '-p --print-freq', 'int', 10, false, 64],
        ['resume', '--resume', 'str', '', false, 66],
        ['evaluate', '-e --evaluate', 'bool', false, false, 68],
        ['pretrained', '--pretrained', 'bool', false, false, 70],
        ['seed', '--seed', 'int', null, false, 73],
        ['world_size', '--world-size', 'int', -1, false, 77],
        ['rank', '--rank', 'int', -1, false, 79],
        ['dist_url', '--dist-url', 'str', 'tcp://224.66.41.62:23456', false, 81],
        ['dist_backend', '--dist-backend', 'choice', 'nccl', false, 83],
        ['gpu', '--gpu', 'int', null, false, 85],
        ['multiprocessing_distributed', '--multiprocessing-distributed', 'bool', false, false, 87],
      ]);
    });

    it('describes a multi-line call completely', () => {
      assert.deepEqual(byName(found.specs, 'batch_size'), {
        name: 'batch_size',
        flags: ['-b', '--batch-size'],
        kind: 'option',
        type: 'int',
        default: 256,
        help: 'mini-batch size (default: 256), this is the total batch size of all GPUs on the current node',
        required: false,
        action: 'store',
        metavar: 'N',
        typeSource: 'int',
        source: 'argparse',
        location: { line: 44, column: 4, endLine: 51, endColumn: 5 },
        group: 'Optimization',
      });
    });

    it('keeps positionals, groups, choices and computed defaults apart', () => {
      const data = byName(found.specs, 'data');
      assert.deepEqual(
        [data.kind, data.nargs, data.metavar, data.help],
        ['positional', '?', 'DIR', 'path to dataset (default: imagenet)'],
      );
      assert.deepEqual(
        [...new Set(found.specs.map((s) => s.group))],
        [undefined, 'Data loading', 'Optimization', 'Checkpoints and logging', 'Distributed'],
      );
      assert.deepEqual(byName(found.specs, 'image_size').choices, [160, 192, 224, 256]);
      assert.deepEqual(byName(found.specs, 'dist_backend').choices, ['nccl', 'gloo', 'mpi']);
      // choices=model_names is computed at run time: no choices rather than wrong ones.
      assert.equal(byName(found.specs, 'arch').choices, undefined);
      assert.equal(byName(found.specs, 'workers').defaultSource, 'os.cpu_count()');
      assert.equal(byName(found.specs, 'lr_step').nargs, '+');
      assert.equal(byName(found.specs, 'evaluate').action, 'store_true');
    });

    it('ignores arguments in comments and docstrings', () => {
      assert.ok(!found.specs.some((s) => s.name === 'no_save' || s.name === 'in_docstring'));
    });
  });

  describe('a transformers/GLUE-style fine-tuning script', () => {
    const found = discoverPythonParams(fixture('glue_finetune.py'));

    it('resolves module constants, set_defaults and helper types', () => {
      assert.deepEqual(rows(found.specs), [
        ['model_name_or_path', '--model_name_or_path', 'str', 'bert-base-uncased', false, 45],
        ['task_name', '--task_name', 'choice', null, true, 47],
        ['train_file', '--train_file', 'path', null, false, 49],
        ['vocab', '--vocab', 'path', null, false, 51],
        ['max_seq_length', '--max_seq_length', 'int', 128, false, 52],
        ['pad_to_max_length', '--pad_to_max_length', 'bool', false, false, 55],
        ['use_slow_tokenizer', '--use_slow_tokenizer', 'bool', false, false, 57],
        ['eval_splits', '--eval_splits', 'str', ['validation'], false, 59],
        ['per_device_train_batch_size', '--per_device_train_batch_size', 'int', 32, false, 62],
        ['per_device_eval_batch_size', '--per_device_eval_batch_size', 'int', 64, false, 63],
        ['learning_rate', '--learning_rate --lr', 'float', 3e-5, false, 64],
        ['weight_decay', '--weight_decay', 'float', 0.01, false, 66],
        ['adam_epsilon', '--adam_epsilon', 'float', 1e-8, false, 67],
        ['num_train_epochs', '--num_train_epochs', 'int', 3, false, 68],
        ['max_train_steps', '--max_train_steps', 'int', -1, false, 70],
        ['gradient_accumulation_steps', '--gradient_accumulation_steps', 'int', 1, false, 72],
        ['lr_scheduler_type', '--lr_scheduler_type', 'choice', 'linear', false, 73],
        ['warmup_ratio', '--warmup_ratio', 'float', 0.06, false, 75],
        ['max_grad_norm', '--max_grad_norm', 'float', 1, false, 76],
        ['fp16', '--fp16', 'bool', true, false, 77],
        ['gradient_checkpointing', '--gradient_checkpointing', 'bool', null, false, 79],
        ['dropout', '--dropout', 'float', 0.1, false, 80],
        ['output_dir', '--output_dir', 'path', 'outputs', false, 83],
        ['seed', '--seed', 'int', 1234, false, 84],
        ['report_to', '--report_to', 'str', 'runlog', false, 85],
        ['tags', '--tag', 'str', [], false, 86],
        ['verbose', '-v --verbose', 'int', 0, false, 87],
        ['log_level', '--quiet', 'bool', null, false, 88],
        ['debug_shapes', '--debug_shapes', 'bool', false, false, 90],
      ]);
    });

    it('reads actions, choices from constants and help formatting', () => {
      const specs = found.specs;
      assert.deepEqual(byName(specs, 'task_name').choices, [
        'cola',
        'mnli',
        'mrpc',
        'qnli',
        'qqp',
        'rte',
        'sst2',
        'stsb',
        'wnli',
      ]);
      assert.deepEqual(byName(specs, 'lr_scheduler_type').choices, [
        'linear',
        'cosine',
        'cosine_with_restarts',
        'polynomial',
        'constant',
      ]);
      assert.deepEqual(byName(specs, 'fp16').negativeFlags, ['--no-fp16']);
      assert.equal(byName(specs, 'fp16').action, 'boolean_optional');
      assert.equal(byName(specs, 'tags').action, 'append');
      assert.equal(byName(specs, 'verbose').action, 'count');
      assert.equal(byName(specs, 'log_level').action, 'store_const');
      assert.equal(byName(specs, 'log_level').defaultSource, 'logging.INFO');
      assert.equal(byName(specs, 'debug_shapes').hidden, true);
      assert.equal(byName(specs, 'debug_shapes').help, undefined);
      assert.equal(
        byName(specs, 'max_seq_length').help,
        'The maximum total input sequence length after tokenization. Sequences longer than this will be truncated (default: 128).',
      );
      assert.deepEqual(
        ['max_seq_length', 'pad_to_max_length', 'dropout', 'vocab', 'task_name'].map(
          (n) => byName(specs, n).typeSource,
        ),
        ['positive_int', 'str2bool', 'lambda s: float(s)', 'argparse.FileType("r")', 'str.lower'],
      );
      assert.ok(!specs.some((s) => s.name === 'version'), 'action="version" is not a parameter');
    });

    it('skips generated and *args declarations with a reason', () => {
      assert.deepEqual(found.skipped, [
        { line: 95, column: 8, reason: 'the option strings are computed at run time (an f-string or a variable)' },
        { line: 97, column: 4, reason: 'the option strings come from *args' },
      ]);
    });
  });

  describe('a tool with subcommands', () => {
    const found = discoverPythonParams(fixture('subcommands_cli.py'));

    it('records each argument under its subcommand, parents included', () => {
      assert.deepEqual(found.subcommands, ['train', 'evaluate', 'export']);
      assert.deepEqual(
        found.specs.map((s) => `${s.subcommand ?? '-'} ${s.name}`),
        [
          '- verbose',
          'train device',
          'train batch_size',
          'train model',
          'train epochs',
          'train lr',
          'evaluate device',
          'evaluate batch_size',
          'evaluate checkpoint',
          'evaluate split',
          'export checkpoint',
          'export format',
          'export opset',
        ],
      );
      assert.equal(byName(found.specs, 'lr', 'train').default, 1e-3, 'set_defaults on the subparser');
      assert.equal(byName(found.specs, 'device', 'evaluate').location.line, 20, 'inherited from the parent parser');
      assert.equal(byName(found.specs, 'model', 'train').required, true);
    });

    it('merges store_const flags sharing a dest into a choice', () => {
      const format = byName(found.specs, 'format', 'export');
      assert.deepEqual(
        [format.type, format.action, format.choices, format.flags, format.constFlags],
        [
          'choice',
          'store_const',
          ['onnx', 'torchscript'],
          ['--onnx', '--torchscript'],
          { onnx: '--onnx', torchscript: '--torchscript' },
        ],
      );
    });
  });

  describe('edge cases', () => {
    const discover = (source: string): ParamSpec[] => [...discoverPythonParams(source).specs];

    it('reads keyword arguments in any order and option strings in any style', () => {
      const result = discoverPythonParams(
        'import argparse\np = argparse.ArgumentParser()\n' +
          "p.add_argument(*['--n'], help='h')\n" +
          "p.add_argument('--learning_rate', '-l', type=float)\n" +
          "p.add_argument('-x')\n",
      );
      assert.deepEqual(result.skipped, [{ line: 2, column: 0, reason: 'the option strings come from *args' }]);
      assert.deepEqual(rows(result.specs), [
        ['learning_rate', '--learning_rate -l', 'float', null, false, 3],
        ['x', '-x', 'str', null, false, 4],
      ]);
      const [first] = discover("p.add_argument('--n', help='h', default=3, type=int, dest='n_layers', required=True)");
      assert.deepEqual(
        [first.name, first.type, first.default, first.required, first.help],
        ['n_layers', 'int', 3, true, 'h'],
      );
    });

    it('resolves constants, arithmetic, subscripts, range() and os.environ fallbacks', () => {
      const specs = discover(
        [
          'BASE = 16',
          'SIZES = [BASE, BASE * 2, BASE ** 2]',
          'LR: float = 1e-3 / 2',
          'NAME = "run" + "-" + "a"',
          'UNKNOWN = compute()',
          'def f(parser):',
          '    parser.add_argument("--size", type=int, default=SIZES[-1], choices=SIZES)',
          '    parser.add_argument("--lr", type=float, default=LR)',
          '    parser.add_argument("--name", default=NAME)',
          '    parser.add_argument("--k", type=int, choices=range(1, 10, 4), default=-BASE)',
          '    parser.add_argument("--data", default=os.getenv("DATA", "/data"))',
          '    parser.add_argument("--u", default=UNKNOWN)',
          '    parser.add_argument("--t", default=(1, 2.5))',
        ].join('\n'),
      );
      assert.deepEqual(
        specs.map((s) => [s.name, s.default, s.choices ?? null]),
        [
          ['size', 256, [16, 32, 256]],
          ['lr', 5e-4, null],
          ['name', 'run-a', null],
          ['k', -16, [1, 5, 9]],
          ['data', '/data', null],
          ['u', null, null],
          ['t', [1, 2.5], null],
        ],
      );
      assert.equal(specs[5].defaultSource, 'UNKNOWN');
    });

    it('uses the assignment in effect at module level', () => {
      const specs = discover(
        'LR = 0.1\np.add_argument("--a", default=LR)\nLR = 0.2\np.add_argument("--b", default=LR)\nLR = f()\np.add_argument("--c", default=LR)\n',
      );
      assert.deepEqual(
        specs.map((s) => s.default),
        [0.1, 0.2, null],
      );
    });

    it('merges --x/--no-x pairs declared as store_true and store_false', () => {
      const specs = discover(
        "p.add_argument('--augment', dest='augment', action='store_true')\n" +
          "p.add_argument('--no-augment', dest='augment', action='store_false')\n" +
          'p.set_defaults(augment=True)\n',
      );
      assert.deepEqual(
        specs.map((s) => [s.name, s.action, s.flags, s.negativeFlags, s.default]),
        [['augment', 'boolean_optional', ['--augment'], ['--no-augment'], true]],
      );
    });

    it('reads nargs, metavar tuples, %(default)s with lists and custom actions', () => {
      const [a, b, c, d] = discover(
        "p.add_argument('--size', nargs=2, type=int, metavar=('W', 'H'), default=[224, 224], help='%(default)s px, 100%%')\n" +
          "p.add_argument('rest', nargs=argparse.REMAINDER)\n" +
          "p.add_argument('--extra', action=KeyValueAction, nargs='*')\n" +
          "p.add_argument('--opt', nargs='?', const='auto', default=None)\n",
      );
      assert.deepEqual([a.nargs, a.metavar, a.help], [2, 'W H', '[224, 224] px, 100%']);
      assert.deepEqual([b.kind, b.nargs, b.required], ['positional', '...', false]);
      assert.deepEqual([c.action, c.nargs], ['custom', '*']);
      assert.deepEqual([d.nargs, d.default], ['?', null]);
    });

    it('skips loops, computed names and subparsers with computed names without crashing', () => {
      const result = discoverPythonParams(
        [
          'for name in ["a", "b"]:',
          '    parser.add_argument(f"--{name}")',
          'parser.add_argument(OPTION_NAME)',
          'sub = parser.add_subparsers()',
          'for task in TASKS:',
          '    tp = sub.add_parser(task)',
          '    tp.add_argument("--epochs")',
          'parser.add_argument("--ok")',
        ].join('\n'),
      );
      assert.deepEqual(
        result.specs.map((s) => s.name),
        ['ok'],
      );
      assert.deepEqual(
        result.skipped.map((s) => s.line),
        [1, 2, 6],
      );
    });

    it('reads nested subparsers, aliases and argument groups of subparsers', () => {
      const result = discoverPythonParams(
        [
          'parser = argparse.ArgumentParser()',
          'subs = parser.add_subparsers(dest="cmd")',
          'model = subs.add_parser("model", aliases=["m"])',
          'model_subs = model.add_subparsers()',
          'mtrain = model_subs.add_parser("train")',
          'g = mtrain.add_argument_group("Optimizer")',
          'g.add_argument("--lr", type=float, default=0.1)',
          'model.add_argument("--name")',
        ].join('\n'),
      );
      assert.deepEqual(result.subcommands, ['model', 'model train']);
      assert.deepEqual(
        result.specs.map((s) => [s.name, s.subcommand, s.group]),
        [
          ['name', 'model', undefined],
          ['lr', 'model train', 'Optimizer'],
        ],
      );
    });

    it('finds nothing in a script without a parser, and never throws on broken code', () => {
      assert.deepEqual(discoverPythonParams('print("hello")\n'), {
        framework: 'none',
        specs: [],
        subcommands: [],
        skipped: [],
      });
      for (const broken of [
        'parser.add_argument(',
        "parser.add_argument('--a', default=",
        "parser.add_argument('--a', type=int))))",
        'parser.add_argument(**kwargs)',
        "parser.add_argument('--a', choices=[x for x in y], default={'a': 1}[k])",
        "x = '''\nparser.add_argument('--a')",
        'parser.add_argument(*)',
        "parser.add_argument('--a' '--b', default=-)",
        `parser.add_argument('--deep', default=${'('.repeat(1000)}1${')'.repeat(1000)})`,
        `parser.add_argument('--pow', default=${'2 ** '.repeat(1000)}2)`,
        `parser.add_argument('--neg', default=${'-'.repeat(1000)}2)`,
        `X = ${'1 + '.repeat(1000)}1\nparser.add_argument('--sum', default=X)`,
      ]) {
        const result = discoverPythonParams(broken);
        assert.ok(Array.isArray(result.specs), broken);
      }
      const lenient = discover("parser.add_argument('--a', choices=[x for x in y], default={'a': 1}[k])");
      assert.deepEqual(
        [lenient[0].name, lenient[0].choices, lenient[0].defaultSource],
        ['a', undefined, "{'a': 1}[k]"],
      );
    });
  });
});
