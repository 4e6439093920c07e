import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MLproject, MLprojectDiagnostic, MLprojectEntryPoint } from '../../../src/params/mlproject';
import { parseMLproject } from '../../../src/params/mlproject';
import { parseFormat, renderMLprojectCommand } from '../../../src/params/mlprojectCommand';
import { ParamError } from '../../../src/params/paramSpec';
import type { SourceRange } from '../../../src/params/paramSpec';

function fixture(name: string): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return readFileSync(join(dir, 'test/fixtures/scripts', name), 'utf8');
}

/** The range of the first `snippet` on 0-based `line` of `text`. */
function where(text: string, line: number, snippet: string): SourceRange {
  const column = text.split('\n')[line].indexOf(snippet);
  assert.ok(column >= 0, `${snippet} not on line ${line}`);
  return { line, column, endLine: line, endColumn: column + snippet.length };
}

function entry(project: MLproject, name: string): MLprojectEntryPoint {
  const found = project.entryPoints.find((e) => e.name === name);
  assert.ok(found, name);
  return found;
}

function messages(diagnostics: readonly MLprojectDiagnostic[]): string[] {
  return diagnostics.map((d) => `${d.severity}: ${d.message}`);
}

describe('MLproject files', () => {
  describe('a valid project with flow and block mappings', () => {
    const text = fixture('mlproject_valid/MLproject');
    const project = parseMLproject(text);

    it('reads the name, environment and entry points without diagnostics', () => {
      assert.deepEqual(project.diagnostics, []);
      assert.equal(project.name, 'tutorial');
      assert.deepEqual(project.environment, {
        kind: 'python_env',
        file: 'python_env.yaml',
        range: where(text, 2, 'python_env.yaml'),
      });
      assert.deepEqual(
        project.entryPoints.map((e) => [e.name, e.location.line, e.location.column]),
        [
          ['main', 5, 2],
          ['validate', 11, 2],
          ['report', 27, 2],
        ],
      );
    });

    it('types each parameter, with defaults and positions', () => {
      assert.deepEqual(entry(project, 'main').params[0], {
        name: 'alpha',
        flags: [],
        kind: 'option',
        type: 'float',
        default: 0.5,
        required: false,
        action: 'store',
        typeSource: 'float',
        source: 'mlproject',
        location: where(text, 7, 'alpha'),
      });
      assert.deepEqual(
        entry(project, 'validate').params.map((p) => [p.name, p.type, p.default, p.required, p.location.line]),
        [
          ['data_file', 'path', null, true, 13],
          ['threshold', 'float', 1.5, false, 14],
          ['run_name', 'str', 'nightly check', false, 17],
          ['strict', 'str', 'yes', false, 20],
          ['model_uri', 'uri', null, true, 23],
        ],
      );
    });

    it('keeps each default as MLflow prints it: str() of what PyYAML reads', () => {
      assert.deepEqual(entry(project, 'validate').defaultArgs, {
        threshold: '1.5',
        run_name: 'nightly check',
        strict: 'True',
      });
      // Without a dot PyYAML reads 1e-3 as a string, so MLflow passes it as written.
      assert.deepEqual(entry(project, 'report').defaultArgs, { lr: '1e-3' });
      assert.deepEqual(entry(project, 'main').defaultArgs, { alpha: '0.5', l1_ratio: '0.1', max_iter: '1000' });
    });

    it('renders commands like MLflow: defaults, shell quoting, literal braces, extra parameters appended', () => {
      assert.equal(
        renderMLprojectCommand(entry(project, 'main'), { alpha: '0.9' }),
        'python train.py --alpha 0.9 --l1-ratio 0.1 --max-iter 1000',
      );
      assert.equal(
        renderMLprojectCommand(entry(project, 'validate'), {
          data_file: 'data/my file.csv',
          model_uri: 'runs:/abc/model',
          run_name: "bob's run",
        }),
        `python validate.py 'data/my file.csv' --threshold 1.5 --name 'bob'"'"'s run' --strict True --model runs:/abc/model`,
      );
      assert.equal(
        renderMLprojectCommand(entry(project, 'report'), { lr: 0.01, seed: 7, note: 'two words', flag: true }),
        `python report.py --lr=0.01 --json '{"format": "md"}' --seed 7 --note 'two words' --flag True`,
      );
    });

    it('refuses missing parameters and non-URI values for uri parameters, as MLflow does', () => {
      assert.throws(
        () => renderMLprojectCommand(entry(project, 'validate'), { model_uri: 'model.pkl' }),
        (error: unknown) =>
          error instanceof ParamError &&
          error.problems.join('\n') ===
            "Expected URI for parameter model_uri but got model.pkl\nNo value given for missing parameters: 'data_file'",
      );
    });
  });

  describe('a broken project', () => {
    const text = fixture('mlproject_broken/MLproject');
    const project = parseMLproject(text);

    it('reports each problem with its range', () => {
      assert.deepEqual(
        project.diagnostics.map((d) => [d.severity, d.message, d.range]),
        [
          [
            'error',
            'Only one environment may be given, but there are conda_env and docker_env',
            where(text, 2, 'docker_env'),
          ],
          [
            'warning',
            "Unknown key 'entrypoints' (did you mean 'entry_points'?); the MLproject keys are name, python_env, conda_env, docker_env, entry_points, databricks_spark_job",
            where(text, 4, 'entrypoints'),
          ],
          [
            'warning',
            "Unknown type 'double'; MLflow's parameter types are float, int, string, path, uri",
            where(text, 8, 'double'),
          ],
          ['warning', `The default of 'epochs' is "ten", not an int`, where(text, 9, 'ten')],
          ['warning', "Unknown key 'help'; the parameter keys are type, default", where(text, 10, 'help')],
          ['warning', "Unknown key 'env'; the entry point keys are parameters, command", where(text, 13, 'env')],
          [
            'error',
            "The placeholder {epoch} names no parameter of entry point 'train' (did you mean 'epochs'?)",
            where(text, 12, '{epoch}'),
          ],
          [
            'warning',
            "Parameter 'epochs' is not used in the command of 'train', so MLflow never passes it",
            where(text, 9, 'epochs'),
          ],
          [
            'warning',
            "Parameter 'batch_size' is not used in the command of 'train', so MLflow never passes it",
            where(text, 10, 'batch_size'),
          ],
          [
            'warning',
            `The default of 'model_uri' is "models/latest", not a URI (MLflow will reject it)`,
            where(text, 16, 'models/latest'),
          ],
          ['error', "Entry point 'evaluate' has no command", where(text, 14, 'evaluate')],
          ['error', 'MLflow fills placeholders by parameter name; {} has none', where(text, 20, '{}')],
          [
            'error',
            "Single '}' in the command; write '}}' for a literal brace",
            { ...where(text, 20, '}"'), endColumn: where(text, 20, '}"').column + 1 },
          ],
        ],
      );
    });

    it('marks unused parameters, which the editor also fades out', () => {
      assert.deepEqual(
        project.diagnostics.filter((d) => d.code === 'unused-parameter').map((d) => d.range),
        [where(text, 9, 'epochs'), where(text, 10, 'batch_size')],
      );
      assert.ok(project.diagnostics.filter((d) => d.code === undefined).length > 5);
    });

    it('still returns what it could read', () => {
      assert.deepEqual(
        project.entryPoints.map((e) => [e.name, e.params.map((p) => `${p.name}:${p.type}`)]),
        [
          ['train', ['alpha:str', 'epochs:int', 'batch_size:int', 'data:path']],
          ['evaluate', ['model_uri:uri']],
          ['score', ['threshold:float']],
        ],
      );
      assert.equal(entry(project, 'evaluate').command, undefined);
      assert.throws(
        () => renderMLprojectCommand(entry(project, 'evaluate'), {}),
        /Entry point 'evaluate' has no command/,
      );
    });
  });

  it('reports YAML syntax errors with their position instead of throwing', () => {
    const text = fixture('mlproject_syntax/MLproject');
    const project = parseMLproject(text);
    assert.deepEqual(messages(project.diagnostics), [
      'error: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
    // The unclosed flow mapping is noticed where the next key starts.
    assert.deepEqual(project.diagnostics[0].range, { line: 5, column: 4, endLine: 5, endColumn: 5 });
  });

  it('explains files with the wrong shape', () => {
    const check = (text: string): string[] => messages(parseMLproject(text).diagnostics);
    assert.deepEqual(check(''), ['error: The MLproject file is empty: it needs at least entry_points']);
    assert.deepEqual(check('- a\n- b\n'), [
      'error: An MLproject file is a mapping of keys such as name and entry_points',
    ]);
    assert.deepEqual(check('name: [a]\npython_env: {file: x}\nentry_points: [main]\n'), [
      'warning: name should be a string',
      'error: python_env must be the path of an environment file, e.g. python_env.yaml',
      'error: entry_points must map entry point names to their command and parameters',
    ]);
    assert.deepEqual(check('docker_env:\n  volumes: ["/a:/a"]\nentry_points:\n  main: python x.py\n'), [
      'error: docker_env needs an image, e.g. image: python:3.11',
      "error: Entry point 'main' must be a mapping with a command (and optional parameters)",
    ]);
    assert.deepEqual(check('entry_points:\n  main:\n    parameters: [a, b]\n    command: [python]\n'), [
      'error: parameters must map parameter names to types',
      'error: command must be a string, e.g. "python train.py --alpha {alpha}"',
    ]);
    assert.deepEqual(
      check(
        'entry_points:\n  main:\n    parameters:\n      alpha:\n      beta: {default: [1, 2]}\n    command: "x {alpha} {beta}"\n',
      ),
      [
        "error: Parameter 'alpha' needs a type (float, int, string, path or uri), e.g. alpha: float",
        "warning: The default of 'beta' should be a single value, not a list or mapping",
        "error: The placeholder {alpha} names no parameter of entry point 'main'",
      ],
    );
    assert.deepEqual(check('entry_points:\n  main:\n    command: a\n  main:\n    command: b\n'), [
      'warning: Map keys must be unique',
    ]);
    assert.deepEqual(check('name: a\n---\nname: b\n'), [
      "error: An MLproject file holds one YAML document: remove the extra '---'",
    ]);
  });

  it('reads placeholders the way str.format does', () => {
    const text =
      'entry_points:\n  main:\n    parameters: {alpha: float, n: int}\n    command: "run {alpha:.2f} {n!r} {{literal}} {0} {"\n';
    assert.deepEqual(messages(parseMLproject(text).diagnostics), [
      'error: MLflow fills placeholders by parameter name; {0} has none',
      "error: Unclosed '{' in the command; write '{{' for a literal brace",
    ]);
    const { parts } = parseFormat('a {x.attr} {y[0]}{{z}}');
    assert.deepEqual(
      parts.map((p) => (p.kind === 'text' ? p.text : `<${p.name}>`)),
      ['a ', '<x>', ' ', '<y>', '{z}'],
    );
  });

  it('locates placeholders inside single-quoted and block scalars', () => {
    const text =
      'entry_points:\n  main:\n    parameters: {a: float}\n    command: >\n      python x.py\n      --b {b} --a {a}\n';
    const [diagnostic] = parseMLproject(text).diagnostics;
    assert.deepEqual(diagnostic.range, where(text, 5, '{b}'));
    const quoted = "entry_points:\n  main:\n    command: 'it''s {missing}'\n";
    assert.deepEqual(parseMLproject(quoted).diagnostics[0].range, where(quoted, 2, '{missing}'));
  });

  it('converts defaults the way PyYAML and Python print them', () => {
    const text = [
      'entry_points:',
      '  main:',
      '    parameters:',
      '      a: {type: float, default: 1.50}',
      '      b: {type: int, default: 1_000}',
      '      c: {type: string, default: on}',
      '      d: {type: float, default: 1.0e-7}',
      '      e: {type: string, default: "yes"}',
      '      f: {type: float, default: .inf}',
      '      g: {type: int, default: ~}',
      '      h: {type: float, default: 5.}',
      '    command: "x {a} {b} {c} {d} {e} {f} {g} {h}"',
    ].join('\n');
    const project = parseMLproject(text);
    assert.deepEqual(project.diagnostics, []);
    assert.deepEqual(project.entryPoints[0].defaultArgs, {
      a: '1.5',
      b: '1000',
      c: 'True',
      d: '1e-07',
      e: 'yes',
      f: 'inf',
      h: '5.0',
    });
    assert.equal(project.entryPoints[0].params[6].required, true);
  });

  it('never throws on arbitrary text', () => {
    let seed = 11;
    const alphabet = [...'ab:{}[]-\n "\'#|>&*!%@`\t,?0.9'];
    for (let i = 0; i < 200; i++) {
      let text = '';
      for (let j = 0; j < 60; j++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        text += alphabet[seed % alphabet.length];
      }
      const project = parseMLproject(text);
      assert.ok(Array.isArray(project.diagnostics));
    }
    for (const text of [
      '['.repeat(200),
      'a: '.repeat(100),
      '\t- x\n\t\ty: [',
      '\u0000\uffff: 😀',
      '*alias\n',
      '--- a\n--- b\n',
    ]) {
      assert.ok(Array.isArray(parseMLproject(text).diagnostics), JSON.stringify(text.slice(0, 20)));
    }
  });
});
