import { appendFile } from 'node:fs/promises';
import type { CliContext } from './context';

/**
 * GitHub Actions shows the Markdown appended to the file `GITHUB_STEP_SUMMARY` names on the job's
 * summary page. `check` and `compare` append their report there whatever `--format` prints, so a
 * workflow needs no extra step for it. A summary that cannot be written is said on stderr; the
 * command's result does not change.
 */
export async function appendStepSummary(context: CliContext, markdown: string): Promise<void> {
  const file = context.env['GITHUB_STEP_SUMMARY'];
  if (!file) return;
  try {
    await appendFile(file, `${markdown}\n`);
  } catch (error) {
    context.err(`runlog: could not append to GITHUB_STEP_SUMMARY (${file}): ${(error as Error).message}\n`);
  }
}
