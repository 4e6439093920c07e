// Entry of the multi-root suite: the runner opens a workspace of two folders, each with its store.
import type { SuiteStats } from '../suite';
import { runSuite } from '../suite';

export function run(): Promise<SuiteStats> {
  return runSuite(__dirname);
}
