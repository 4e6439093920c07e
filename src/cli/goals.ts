/**
 * Whether a metric is better low or high, from the command line: `--goal KEY=min|max`, the
 * `runlog.metricGoals` setting of the editor as flags. Keys not named follow the editor's rule
 * from the metric's name (`shared/metricGoal.ts`: loss, rmse, error … are "min").
 */
import type { MetricGoal } from '../../shared/metricGoal';
import type { CommandSpec, FlagSpec, ParsedArgs } from './args';
import { flags, usageError } from './args';

export const goalFlag: FlagSpec = {
  name: 'goal',
  value: 'KEY=min|max',
  repeat: true,
  help: "whether a metric is better low or high, where its name does not say (the editor's runlog.metricGoals)",
};

export function parseGoal(spec: CommandSpec, text: string): [string, MetricGoal] {
  const at = text.lastIndexOf('=');
  const key = text.slice(0, at);
  const goal = text.slice(at + 1);
  if (at <= 0 || (goal !== 'min' && goal !== 'max')) {
    throw usageError(spec, `--goal takes KEY=min or KEY=max, not "${text}"`);
  }
  return [key, goal];
}

export function readGoalFlags(spec: CommandSpec, args: ParsedArgs): Record<string, MetricGoal> {
  return Object.fromEntries(flags(args, 'goal').map((text) => parseGoal(spec, text)));
}
