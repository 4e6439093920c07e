/** A script worth offering as a run: it has a `__main__` block or logs through a tracking client. */
const ENTRY_POINT = /^if\s+__name__\s*==\s*(['"])__main__\1\s*:/m;
const TRACKING_CALL = /\b(?:runlog|mlflow)\.(?:start_run|log_metrics?|log_params?)\s*\(/;

export function isTrainingScript(source: string): boolean {
  return ENTRY_POINT.test(source) || TRACKING_CALL.test(source);
}

/** The files among `files` that look like training scripts; unreadable files are skipped. */
export async function findPythonScripts(
  files: readonly string[],
  read: (file: string) => Promise<string>,
): Promise<string[]> {
  const checks = await Promise.all(
    files.map(async (file) => {
      try {
        return isTrainingScript(await read(file)) ? file : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return checks.filter((file): file is string => file !== undefined);
}
