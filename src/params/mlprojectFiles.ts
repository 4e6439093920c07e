/**
 * What the editor needs beyond the MLproject text itself: which files are MLproject files, and
 * the checks that look at the project's folder (the environment file must exist).
 */
import * as path from 'node:path';
import type { MLproject, MLprojectDiagnostic } from './mlproject';

/** MLflow finds the project file by name, ignoring case (`mlproject` works too), and with no extension. */
export function isMLprojectFile(file: string): boolean {
  return path.basename(file).toLowerCase() === 'mlproject';
}

/**
 * The error for a `python_env` / `conda_env` file that does not exist: MLflow joins it to the
 * project folder and refuses to run without it. `exists` is asked about the absolute path.
 */
export async function environmentFileDiagnostics(
  project: MLproject,
  projectDir: string,
  exists: (file: string) => Promise<boolean>,
): Promise<MLprojectDiagnostic[]> {
  const env = project.environment;
  if (!env || env.kind === 'docker_env' || env.file.trim() === '') return [];
  const file = path.resolve(projectDir, env.file);
  if (await exists(file)) return [];
  return [
    {
      severity: 'error',
      message: `The ${env.kind} file '${env.file}' does not exist${path.isAbsolute(env.file) ? '' : ' next to the MLproject file'}: MLflow will not run the project without it`,
      range: env.range,
      code: 'missing-environment-file',
    },
  ];
}
