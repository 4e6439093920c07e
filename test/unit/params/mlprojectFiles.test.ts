import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseMLproject } from '../../../src/params/mlproject';
import { environmentFileDiagnostics, isMLprojectFile } from '../../../src/params/mlprojectFiles';

const DIR = path.resolve('/projects/house');

/** `exists` that knows only `files`, recording what it was asked. */
function disk(...files: string[]): { exists: (file: string) => Promise<boolean>; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    exists: (file) => {
      asked.push(file);
      return Promise.resolve(files.includes(file));
    },
  };
}

describe('MLproject files on disk', () => {
  it('knows MLproject files by name, ignoring case like MLflow, and only without an extension', () => {
    assert.equal(isMLprojectFile('/a/b/MLproject'), true);
    assert.equal(isMLprojectFile('/a/mlproject'), true);
    assert.equal(isMLprojectFile('/a/MLProject'), true);
    assert.equal(isMLprojectFile('/a/MLproject.yaml'), false);
    assert.equal(isMLprojectFile('/a/MLproject/train.py'), false);
    assert.equal(isMLprojectFile('/a/my_MLproject'), false);
  });

  it('reports a python_env or conda_env file missing from the project folder, at its value', async () => {
    const text = 'name: x\nconda_env: envs/conda.yaml\nentry_points:\n  main:\n    command: python t.py\n';
    const { exists, asked } = disk();
    const diagnostics = await environmentFileDiagnostics(parseMLproject(text), DIR, exists);
    assert.deepEqual(asked, [path.join(DIR, 'envs', 'conda.yaml')]);
    assert.deepEqual(diagnostics, [
      {
        severity: 'error',
        message:
          "The conda_env file 'envs/conda.yaml' does not exist next to the MLproject file: MLflow will not run the project without it",
        range: { line: 1, column: 11, endLine: 1, endColumn: 26 },
        code: 'missing-environment-file',
      },
    ]);
  });

  it('accepts an environment file that exists, relative or absolute', async () => {
    const relative = parseMLproject('python_env: python_env.yaml\nentry_points: {main: {command: x}}\n');
    assert.deepEqual(
      await environmentFileDiagnostics(relative, DIR, disk(path.join(DIR, 'python_env.yaml')).exists),
      [],
    );
    const elsewhere = path.resolve('/shared/env.yaml');
    const absolute = parseMLproject(`python_env: "${elsewhere}"\nentry_points: {main: {command: x}}\n`);
    assert.deepEqual(await environmentFileDiagnostics(absolute, DIR, disk(elsewhere).exists), []);
    const [missing] = await environmentFileDiagnostics(absolute, DIR, disk().exists);
    assert.equal(
      missing?.message,
      `The python_env file '${elsewhere}' does not exist: MLflow will not run the project without it`,
    );
  });

  it('checks nothing for docker images, projects without an environment, or broken environments', async () => {
    const { exists, asked } = disk();
    for (const text of [
      'docker_env:\n  image: python:3.11\nentry_points: {main: {command: x}}\n',
      'entry_points: {main: {command: x}}\n',
      'python_env: {file: x}\n',
      'python_env: ""\n',
      '[',
    ]) {
      assert.deepEqual(await environmentFileDiagnostics(parseMLproject(text), DIR, exists), [], text);
    }
    assert.deepEqual(asked, []);
  });
});
