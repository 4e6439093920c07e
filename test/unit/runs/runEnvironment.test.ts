import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  environmentDiff,
  environmentDiffText,
  environmentsDiffer,
  parseInterpreterEnvironment,
  readInterpreterEnvironment,
  requirementsText,
} from '../../../src/runs/runEnvironment';
import type { RunEnvironment } from '../../../src/store/types';

const recorded: RunEnvironment = {
  runId: 'r1',
  recorded: 1,
  pythonVersion: '3.11.2',
  pythonImplementation: 'CPython',
  executable: '/usr/bin/python3',
  platform: 'Linux-6.1.0-18-amd64-x86_64-with-glibc2.36',
  system: 'Linux',
  machine: 'x86_64',
  packages: { numpy: '1.24.2', 'scikit-learn': '1.2.1', torch: '2.1.0', six: '1.16.0', 'runlog-client': '0.1.0' },
  gpu: {
    driverVersion: '535.104',
    cudaVersion: '12.2',
    devices: [{ name: 'NVIDIA A100', memoryTotalMegabytes: 40_960 }],
  },
};

const here = (packages: Record<string, string>, pythonVersion = '3.11.2') => ({
  pythonVersion,
  pythonImplementation: 'CPython',
  executable: '/venv/bin/python',
  packages,
});

describe("a run's environment beside another", () => {
  it('names the packages at another version or missing, and counts the ones added', () => {
    const diff = environmentDiff(
      recorded,
      here({ numpy: '1.26.4', 'scikit-learn': '1.2.1', six: '1.16.0', rich: '13' }),
    );
    assert.deepEqual(diff, {
      python: null,
      packages: [
        { name: 'numpy', run: '1.24.2', here: '1.26.4' },
        { name: 'torch', run: '2.1.0', here: null },
      ],
      added: 1,
    });
    assert.equal(environmentsDiffer(diff), true);
    assert.equal(
      environmentDiffText(diff, 'bright-owl'),
      'numpy 1.26.4 (bright-owl had 1.24.2), torch not installed (bright-owl had 2.1.0)',
    );
  });

  it('is the same environment when only this client or added packages differ', () => {
    const diff = environmentDiff(recorded, here({ ...recorded.packages, 'runlog-client': '0.2.0', rich: '13' }));
    assert.equal(environmentsDiffer(diff), false);
    assert.equal(diff.added, 1);
    const without = environmentDiff(
      recorded,
      here({ numpy: '1.24.2', 'scikit-learn': '1.2.1', torch: '2.1.0', six: '1.16.0' }),
    );
    assert.equal(environmentsDiffer(without), false, 'runlog-client missing here is no difference');
  });

  it('says a Python version change first, and shortens a long list', () => {
    const packages = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}`, '1']));
    const diff = environmentDiff({ ...recorded, packages }, here({}, '3.12.1'));
    assert.deepEqual(diff.python, { run: '3.11.2', here: '3.12.1' });
    assert.equal(
      environmentDiffText(diff, 'r', 2),
      'Python 3.12.1 (r had 3.11.2); p0 not installed (r had 1), p1 not installed (r had 1) and 6 more packages',
    );
  });

  it("reads runlog.environment's JSON, and says what is wrong with anything else", () => {
    const parsed = parseInterpreterEnvironment(
      JSON.stringify({ python_version: '3.11.2', packages: { numpy: '1.0', bad: 3 }, executable: '/p' }),
    );
    assert.deepEqual(parsed, {
      pythonVersion: '3.11.2',
      pythonImplementation: null,
      executable: '/p',
      packages: { numpy: '1.0' },
    });
    assert.throws(() => parseInterpreterEnvironment('Traceback (most recent call last):'), /printed no JSON/);
    assert.throws(() => parseInterpreterEnvironment('[1]'), /no python_version or packages/);
    assert.throws(() => parseInterpreterEnvironment('null'), /no JSON object/);
  });

  it('asks an interpreter for its packages in a child process (the bundled client on PYTHONPATH)', async function () {
    this.timeout(30_000);
    const clientPath = join(__dirname, '..', '..', '..', '..', 'python');
    const found = await readInterpreterEnvironment({
      python: 'python3',
      clientPath,
      cwd: __dirname,
      env: process.env,
      platform: process.platform,
    });
    assert.match(found.pythonVersion, /^3\.\d+\.\d+/);
    assert.equal(typeof found.packages, 'object');
    await assert.rejects(
      readInterpreterEnvironment({
        python: join(__dirname, 'no-such-python'),
        clientPath,
        cwd: __dirname,
        env: process.env,
        platform: process.platform,
      }),
      /no-such-python -m runlog\.environment failed/,
    );
    await assert.rejects(
      readInterpreterEnvironment({
        python: 'python3',
        clientPath: join(__dirname, 'no-client'),
        cwd: __dirname,
        env: { ...process.env, PYTHONPATH: '' },
        platform: process.platform,
      }),
      /No module named 'runlog'/,
    );
  });

  it("writes the run's packages as pip requirements, and nothing pip would read as an option", () => {
    const text = requirementsText(
      { id: 'r1', name: 'bright\nowl' },
      {
        ...recorded,
        packages: {
          ...recorded.packages,
          'evil\n--index-url http://x': '1',
          ok: '1.0\n--extra-index-url http://x',
          '-e': '1',
          'zope.interface': '6.0',
          torch: '2.1.0+cu121',
        },
      },
    );
    assert.equal(
      text,
      [
        '# The Python environment of run bright owl (r1), as Runlog recorded it.',
        '# Python 3.11.2 (CPython) on Linux-6.1.0-18-amd64-x86_64-with-glibc2.36',
        '# CUDA 12.2',
        '# 3 recorded name(s) or version(s) left out: not valid for pip',
        'numpy==1.24.2',
        'scikit-learn==1.2.1',
        'six==1.16.0',
        'torch==2.1.0+cu121',
        'zope.interface==6.0',
        '',
      ].join('\n'),
    );
  });
});
