// Entry of the integration suite (a trusted workspace): see suite.ts.
import type { SuiteStats } from './suite';
import { runSuite } from './suite';

export function run(): Promise<SuiteStats> {
  return runSuite(__dirname);
}
