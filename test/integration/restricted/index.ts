// Entry of the restricted-mode suite: the runner opens its workspace without trusting it.
import type { SuiteStats } from '../suite';
import { runSuite } from '../suite';

export function run(): Promise<SuiteStats> {
  return runSuite(__dirname);
}
