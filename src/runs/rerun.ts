import { basename } from 'node:path';

/** What relaunching a run means: its script or MLproject entry point with the params it recorded. */
export type RerunPlan =
  | { readonly kind: 'script'; readonly script: string; readonly values: Record<string, string> }
  | {
      readonly kind: 'entryPoint';
      readonly mlproject: string;
      readonly name: string;
      readonly values: Record<string, string>;
    }
  | { readonly kind: 'none'; readonly reason: string };

export interface RerunSource {
  readonly name: string;
  /** The script (or MLproject file) the run ran, as run_start recorded it. */
  readonly source: string | null;
  /** For an MLproject run: "<MLproject path> › <entry point>" (see Launcher.launchEntryPoint). */
  readonly entryPoint: string | null;
  readonly params: Readonly<Record<string, string>>;
}

const ENTRY_SEPARATOR = ' › ';

/** The tag a rerun carries naming the run it reran (a reproduction carries `reproduces`). */
export const RERUN_OF_TAG = 'runlog.rerun_of';

/**
 * A param value as the launcher's sweep syntax reads it back literally: values with commas or
 * `..`, or wrapped in quotes or spaces, would otherwise expand into several runs or lose characters.
 */
export function literalValue(value: string): string {
  if (!/[,"']|\.\./.test(value) && value.trim() === value) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function rerunPlan(run: RerunSource): RerunPlan {
  if (!run.source) {
    return { kind: 'none', reason: `${run.name} recorded no script, so Runlog cannot tell what to run again.` };
  }
  const values = Object.fromEntries(Object.entries(run.params).map(([key, value]) => [key, literalValue(value)]));
  const at = run.entryPoint?.lastIndexOf(ENTRY_SEPARATOR) ?? -1;
  if (basename(run.source) === 'MLproject' && run.entryPoint && at !== -1) {
    return {
      kind: 'entryPoint',
      mlproject: run.source,
      name: run.entryPoint.slice(at + ENTRY_SEPARATOR.length),
      values,
    };
  }
  if (!run.source.endsWith('.py')) {
    return { kind: 'none', reason: `${run.name} ran ${run.source}, which is not a Python script Runlog can launch.` };
  }
  return { kind: 'script', script: run.source, values };
}
