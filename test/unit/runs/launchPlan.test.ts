import * as assert from 'node:assert/strict';
import { parseMLproject } from '../../../src/params/mlproject';
import type { LaunchSettings, LaunchTarget, LaunchValues, Relocation } from '../../../src/runs/launchPlan';
import {
  clientPythonPath,
  interpreterFirstOnPath,
  launchableParams,
  pickInterpreter,
  planLaunch,
  recordedParams,
  relocated,
  relocatedCwd,
  resolveLaunchValues,
  runEnv,
  shellFor,
} from '../../../src/runs/launchPlan';

const TRAIN = [
  'import argparse',
  'parser = argparse.ArgumentParser()',
  "parser.add_argument('--lr', type=float, default=0.01)",
  "parser.add_argument('--epochs', type=int, default=3)",
  "parser.add_argument('--offset', type=int)",
  "parser.add_argument('--name', help=argparse.SUPPRESS)",
  'args = parser.parse_args()',
  "for epoch in range(args.epochs): print(f'epoch {epoch} loss={args.lr}')",
].join('\n');

const MLPROJECT = [
  'name: prices',
  'entry_points:',
  '  main:',
  '    parameters:',
  '      alpha: {type: float, default: 0.5}',
  '      data: path',
  '    command: "python train.py --alpha {alpha} --data {data}"',
].join('\n');

const POSIX: LaunchSettings = {
  folder: '/ws',
  storeDir: '/ws/.runlog',
  python: '/venv/bin/python',
  experiment: '',
  stdoutMetrics: true,
  stdoutMetricPatterns: ['(?<key>loss)=(?<value>\\S+)'],
  systemMetrics: true,
  clientPath: '/ext/python',
  platform: 'linux',
  inherited: { PATH: '/usr/bin', PYTHONPATH: '/lib' },
};

const WINDOWS: LaunchSettings = {
  ...POSIX,
  folder: 'C:\\ws',
  storeDir: 'C:\\ws\\.runlog',
  python: 'C:\\Py 3\\python.exe',
  clientPath: 'C:\\ext\\python',
  platform: 'win32',
  inherited: { PATH: 'C:\\Windows', PYTHONPATH: undefined },
};

function script(path = '/ws/train.py', source = TRAIN): LaunchTarget {
  return { kind: 'script', script: path, source };
}

function entryPoint(mlproject = '/ws/MLproject', text = MLPROJECT): LaunchTarget {
  const project = parseMLproject(text);
  const main = project.entryPoints.find((e) => e.name === 'main');
  assert.ok(main);
  return { kind: 'entryPoint', mlproject, project, entryPoint: main };
}

function values(given: Record<string, string>, extra: string[] = []): LaunchValues {
  return { values: given, extra };
}

describe('launch plans', () => {
  const POSIX_ENV = {
    RUNLOG_DIR: '/ws/.runlog',
    PYTHONPATH: '/ext/python:/lib',
    PYTHONUNBUFFERED: '1',
    RUNLOG_SYSTEM_METRICS: '1',
  };

  it('runs a script with its values and extra arguments, from its workspace folder', () => {
    const plan = planLaunch(script(), values({ lr: '0.1', offset: '-1' }, ['--verbose']), POSIX);
    assert.deepEqual(plan.problems, []);
    assert.equal(plan.label, 'train.py');
    assert.deepEqual(plan.runs, [
      {
        values: { lr: '0.1', offset: '-1' },
        header: {
          experiment: 'Default',
          command: '/venv/bin/python /ws/train.py --lr 0.1 --offset=-1 --verbose',
          cwd: '/ws',
          entryPoint: 'train.py',
          source: '/ws/train.py',
          params: { lr: '0.1', epochs: '3', offset: '-1' },
          tags: {},
          codeDir: '/ws',
        },
        command: '/venv/bin/python',
        args: ['/ws/train.py', '--lr', '0.1', '--offset=-1', '--verbose'],
        cwd: '/ws',
        env: POSIX_ENV,
        stdoutMetricPatterns: ['(?<key>loss)=(?<value>\\S+)'],
        display: '/venv/bin/python train.py --lr 0.1 --offset=-1 --verbose',
      },
    ]);
  });

  it('runs an entry point by the shell, its placeholders filled and quoted, the interpreter first on PATH', () => {
    const plan = planLaunch(entryPoint(), values({ data: 'my data.csv' }, ["it's"]), POSIX);
    assert.deepEqual(plan.problems, []);
    assert.equal(plan.label, 'MLproject › main');
    const command = "python train.py --alpha 0.5 --data 'my data.csv' 'it'\"'\"'s'";
    assert.deepEqual(plan.runs, [
      {
        values: { data: 'my data.csv' },
        header: {
          experiment: 'prices',
          command,
          cwd: '/ws',
          entryPoint: 'MLproject › main',
          source: '/ws/MLproject',
          params: { alpha: '0.5', data: 'my data.csv' },
          tags: {},
          codeDir: '/ws',
        },
        command: '/bin/sh',
        args: ['-c', command],
        cwd: '/ws',
        env: { PATH: '/venv/bin:/usr/bin', ...POSIX_ENV },
        display: command,
      },
    ]);
  });

  it('makes a run per combination of a sweep, each tagged with the sweep', () => {
    const plan = planLaunch(script(), values({ lr: '0.1,0.01', epochs: '1..2' }), { ...POSIX, experiment: 'lr' });
    assert.deepEqual(
      plan.runs.map((r) => [r.args.slice(1).join(' '), r.header.params, r.header.tags, r.header.experiment]),
      [
        ['--lr 0.1 --epochs 1', { lr: '0.1', epochs: '1' }, { 'runlog.sweep': 'train.py × 4' }, 'lr'],
        ['--lr 0.1 --epochs 2', { lr: '0.1', epochs: '2' }, { 'runlog.sweep': 'train.py × 4' }, 'lr'],
        ['--lr 0.01 --epochs 1', { lr: '0.01', epochs: '1' }, { 'runlog.sweep': 'train.py × 4' }, 'lr'],
        ['--lr 0.01 --epochs 2', { lr: '0.01', epochs: '2' }, { 'runlog.sweep': 'train.py × 4' }, 'lr'],
      ],
    );
    const sweep = planLaunch(entryPoint(), values({ alpha: '0.1,0.2', data: 'd.csv' }), POSIX);
    assert.deepEqual(
      sweep.runs.map((r) => r.header.tags),
      [{ 'runlog.sweep': 'MLproject › main × 2' }, { 'runlog.sweep': 'MLproject › main × 2' }],
    );
  });

  it('runs a reproduction from the copy, recording the workspace script, with the relocation tags', () => {
    const relocation: Relocation = { from: '/ws', to: '/tmp/copy', tags: { reproduces: 'abc' } };
    const [run] = planLaunch(script('/ws/src/train.py'), values({}), POSIX, relocation).runs;
    assert.deepEqual(
      [run?.command, run?.args, run?.cwd, run?.header.source, run?.header.entryPoint, run?.header.codeDir],
      [
        '/venv/bin/python',
        ['/tmp/copy/src/train.py'],
        '/tmp/copy',
        '/ws/src/train.py',
        'src/train.py',
        '/tmp/copy/src',
      ],
    );
    assert.equal(run?.header.command, '/venv/bin/python /ws/src/train.py');
    assert.deepEqual(run?.header.tags, { reproduces: 'abc' });
    const [entry] = planLaunch(entryPoint('/ws/proj/MLproject'), values({ data: 'd' }), POSIX, relocation).runs;
    assert.deepEqual(
      [entry?.cwd, entry?.header.codeDir, entry?.header.source],
      ['/tmp/copy/proj', '/tmp/copy/proj', '/ws/proj/MLproject'],
    );
    const rerun = planLaunch(script(), values({}), POSIX, { tags: { 'runlog.rerun_of': 'abc' } }).runs[0];
    assert.deepEqual(
      [rerun?.args, rerun?.cwd, rerun?.header.tags],
      [['/ws/train.py'], '/ws', { 'runlog.rerun_of': 'abc' }],
    );
  });

  it('relocates paths into the copy, and the folder to the script’s folder when the repository is inside it', () => {
    const around: Relocation = { from: '/ws', to: '/tmp/c', tags: {} };
    const inside: Relocation = { from: '/ws/repo', to: '/tmp/c', tags: {} };
    assert.equal(relocated('/ws/a/b.py', around, 'linux'), '/tmp/c/a/b.py');
    assert.equal(relocated('/ws/a/b.py', undefined, 'linux'), '/ws/a/b.py');
    assert.equal(relocated('/ws/a/b.py', { tags: {} }, 'linux'), '/ws/a/b.py');
    assert.equal(relocatedCwd('/ws', '/ws/a/b.py', around, 'linux'), '/tmp/c');
    assert.equal(relocatedCwd('/ws/repo/sub', '/ws/repo/sub/b.py', inside, 'linux'), '/tmp/c/sub');
    assert.equal(relocatedCwd('/ws', '/ws/repo/x/b.py', inside, 'linux'), '/tmp/c/x');
    assert.equal(relocatedCwd('/ws', '/ws/repo/x/b.py', undefined, 'linux'), '/ws');
    assert.equal(relocated('C:\\ws\\a\\b.py', { from: 'C:\\ws', to: 'D:\\c', tags: {} }, 'win32'), 'D:\\c\\a\\b.py');
  });

  it("uses Windows' shell, paths and separators there", () => {
    const [entry] = planLaunch(entryPoint('C:\\ws\\MLproject'), values({ data: 'd.csv' }), WINDOWS).runs;
    const command = 'python train.py --alpha 0.5 --data d.csv';
    assert.deepEqual([entry?.command, entry?.args, entry?.cwd], ['cmd.exe', ['/d', '/s', '/c', command], 'C:\\ws']);
    assert.deepEqual(entry?.env, {
      PATH: 'C:\\Py 3;C:\\Windows',
      RUNLOG_DIR: 'C:\\ws\\.runlog',
      PYTHONPATH: 'C:\\ext\\python',
      PYTHONUNBUFFERED: '1',
      RUNLOG_SYSTEM_METRICS: '1',
    });
    const plan = planLaunch(script('C:\\ws\\src\\train.py'), values({ lr: '0.5' }), WINDOWS);
    assert.equal(plan.label, 'src\\train.py');
    assert.deepEqual(plan.runs[0]?.args, ['C:\\ws\\src\\train.py', '--lr', '0.5']);
    // The recorded command is quoted the way MLflow quotes, on every platform.
    assert.equal(plan.runs[0]?.header.command, "'C:\\Py 3\\python.exe' 'C:\\ws\\src\\train.py' --lr 0.5");
    assert.deepEqual(shellFor('darwin'), { command: '/bin/sh', flags: ['-c'] });
  });

  it('tells the Python client to sample system metrics, or not, as runlog.systemMetrics says', () => {
    for (const target of [script(), entryPoint()]) {
      const on = planLaunch(target, values({ data: 'd.csv' }), POSIX).runs[0];
      const off = planLaunch(target, values({ data: 'd.csv' }), { ...POSIX, systemMetrics: false }).runs[0];
      assert.equal(on?.env['RUNLOG_SYSTEM_METRICS'], '1');
      // Said either way: an editor started with RUNLOG_SYSTEM_METRICS=1 still honours the setting.
      assert.equal(off?.env['RUNLOG_SYSTEM_METRICS'], '0');
    }
  });

  it('has no runs, and says why, when the values do not make runs', () => {
    const bad = planLaunch(script(), values({ epochs: 'many' }), POSIX);
    assert.deepEqual(bad.runs, []);
    assert.equal(bad.label, 'train.py');
    assert.match(bad.problems.join('; '), /epochs/);
    const missing = planLaunch(entryPoint(), values({}), POSIX);
    assert.deepEqual(missing.runs, []);
    assert.match(missing.problems.join('; '), /No value given for missing parameters: 'data'/);
  });

  it('parses printed metrics only for scripts that log nothing themselves, when the setting is on', () => {
    const logs = `import runlog\n${TRAIN}\nrunlog.log_metric('loss', 1)\n`;
    assert.equal(planLaunch(script('/ws/train.py', logs), values({}), POSIX).runs[0]?.stdoutMetricPatterns, undefined);
    const off = planLaunch(script(), values({}), { ...POSIX, stdoutMetrics: false });
    assert.equal(off.runs[0]?.stdoutMetricPatterns, undefined);
    assert.equal(planLaunch(entryPoint(), values({ data: 'd' }), POSIX).runs[0]?.stdoutMetricPatterns, undefined);
  });

  it('records the values launched with, else the defaults, and offers the parameters --help shows', () => {
    const specs = launchableParams(TRAIN);
    assert.deepEqual(
      specs.map((s) => s.name),
      ['lr', 'epochs', 'offset'],
    );
    assert.deepEqual(recordedParams(specs, { epochs: '5', extra: 'x' }), { lr: '0.01', epochs: '5', extra: 'x' });
  });

  it('resolves a launch mode to values or the form', () => {
    const last = values({ lr: '0.5' }, ['--x']);
    const given = values({ lr: '1' });
    const none = values({});
    assert.deepEqual(resolveLaunchValues('defaults', last, false), { values: none, remember: false });
    assert.deepEqual(resolveLaunchValues('defaults', last, true), { form: undefined });
    assert.deepEqual(resolveLaunchValues('last', last, false), { values: last, remember: true });
    assert.deepEqual(resolveLaunchValues('last', undefined, false), { form: undefined });
    assert.deepEqual(resolveLaunchValues('form', last, false), { form: last });
    assert.deepEqual(resolveLaunchValues(given, last, true), { values: given, remember: true });
  });

  it("puts the run id and the endpoint's variables in a created run's environment", () => {
    const env = runEnv({ RUNLOG_DIR: '/s', PYTHONPATH: '/ext' }, 'r1', {
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:5001',
      MLFLOW_RUN_ID: 'r1',
      RUNLOG_DIR: '/elsewhere',
    });
    assert.deepEqual(env, {
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:5001',
      MLFLOW_RUN_ID: 'r1',
      RUNLOG_DIR: '/s',
      PYTHONPATH: '/ext',
      RUNLOG_RUN_ID: 'r1',
    });
  });

  it('sets up PATH and PYTHONPATH for the platform', () => {
    assert.deepEqual(interpreterFirstOnPath('/venv/bin/python', '/usr/bin', 'linux'), { PATH: '/venv/bin:/usr/bin' });
    assert.deepEqual(interpreterFirstOnPath('python3', '/usr/bin', 'linux'), {});
    assert.deepEqual(interpreterFirstOnPath('/venv/bin/python', undefined, 'linux'), { PATH: '/venv/bin:' });
    assert.deepEqual(interpreterFirstOnPath('C:\\venv\\python.exe', 'C:\\Windows', 'win32'), {
      PATH: 'C:\\venv;C:\\Windows',
    });
    assert.equal(clientPythonPath('/ext/python', '/lib:/more', 'linux'), '/ext/python:/lib:/more');
    assert.equal(clientPythonPath('/ext/python', '', 'linux'), '/ext/python');
    assert.equal(clientPythonPath('C:\\ext', 'C:\\lib', 'win32'), 'C:\\ext;C:\\lib');
  });

  it('uses the configured interpreter, else python3 (python on Windows)', () => {
    assert.equal(pickInterpreter(' /opt/venv/bin/python ', 'linux'), '/opt/venv/bin/python');
    assert.equal(pickInterpreter('', 'linux'), 'python3');
    assert.equal(pickInterpreter(undefined, 'win32'), 'python');
  });
});
