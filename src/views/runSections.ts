import type * as vscode from 'vscode';
import { patchFiles } from '../git/runDiff';
import { formatMetricValue } from '../../shared/formatValue';
import { formatMegabytes, isSystemMetric } from '../../shared/systemMetrics';
import { NOTE_TAG } from '../store/ingest';
import type { RunDetails, RunEnvironment } from '../store/types';
import { artifactRows } from './artifactRows';

export type Section =
  'params' | 'metrics' | 'tags' | 'git' | 'environment' | 'artifacts' | 'models' | 'inputs' | 'problems';

/** A leaf of the Runs view: a param, a metric, a tag, a file; some open something on a click. */
export interface ValueNode {
  readonly kind: 'value';
  readonly label: string;
  readonly value: string;
  readonly tooltip?: string;
  readonly command?: vscode.Command;
  readonly icon?: string;
  /** Rows under this one (collapsed): a run's packages. */
  readonly children?: readonly ValueNode[];
  /** The tree item's id, for a row that stays expanded across refreshes. */
  readonly id?: string;
}

/** An artifact of a run, as the Runs view asks for its preview (see commands/openArtifact.ts). */
export interface ArtifactRef {
  readonly storeDir: string;
  readonly runId: string;
  /** Relative to the run's artifacts, as its journal says. */
  readonly path: string;
  /** A table the run logged (MLflow's `mlflow.loggedArtifacts`), or a CSV/TSV file: the table viewer. */
  readonly table?: boolean;
}

/** Where the diff editor finds a changed file of a run (see commands/openRunDiff.ts). */
export interface RunFileRef {
  readonly storeDir: string;
  readonly runId: string;
  readonly oldPath: string | null;
  readonly newPath: string | null;
  readonly binary: boolean;
  /** An untracked file whose content the run kept: it opens alone, there is nothing to compare. */
  readonly untracked?: boolean;
}

export function userTags(tags: Readonly<Record<string, string>>): [string, string][] {
  // The note is shown in the run's tooltip, rendered; as a tag value it would be a line of Markdown source.
  return Object.entries(tags).filter(([key]) => !key.startsWith('runlog.') && key !== NOTE_TAG);
}

function value(label: string, text: string, tooltip?: string): ValueNode {
  return { kind: 'value', label, value: text, ...(tooltip ? { tooltip } : {}) };
}

/** The rows under one section of a run; `storeDir` locates its artifacts and its diff. */
/** Where a metric was best: its value and the first step that reached it. */
export type BestPoints = ReadonlyMap<string, { readonly value: number; readonly step: number | null }>;

export function sectionValues(
  run: RunDetails,
  section: Section,
  storeDir: string,
  best: BestPoints = new Map(),
): ValueNode[] {
  switch (section) {
    case 'params':
      return Object.entries(run.params).map(([key, v]) => value(key, v));
    case 'metrics':
      // The script's own metrics first, then the system's (CPU, memory, GPUs), each by name.
      return [
        ...run.metrics.filter((m) => !isSystemMetric(m.key)),
        ...run.metrics.filter((m) => isSystemMetric(m.key)),
      ].map((m) => {
        const top = best.get(m.key);
        const at = top && top.step !== null ? `; best ${formatMetricValue(top.value)} at step ${top.step}` : '';
        return value(
          m.key,
          `${formatMetricValue(m.last)} (min ${formatMetricValue(m.min)}, max ${formatMetricValue(m.max)}${at})`,
          `${m.count} points; last at step ${m.lastStep}`,
        );
      });
    case 'tags':
      return userTags(run.tags).map(([key, v]) => value(key, v));
    case 'git':
      return gitValues(run, storeDir);
    case 'environment':
      return run.environment ? environmentValues(run, run.environment) : [];
    case 'artifacts':
      return artifactRows(run, storeDir);
    case 'models':
      return [
        ...run.models.map((m) => ({
          ...value(
            m.name,
            `${m.flavor} · ${m.files.length} file${m.files.length === 1 ? '' : 's'}`,
            `runs:/${run.id}/${m.name}`,
          ),
          icon: 'package',
          command: {
            command: 'runlog.showModelSummary',
            title: 'Show Model',
            arguments: [{ runId: run.id, model: m.name }],
          },
        })),
        ...run.loggedModels.map(loggedModelValue),
      ];
    case 'inputs':
      return run.inputs.map((i) => value(i.name, i.path, `digest ${i.digest}`));
    case 'problems':
      return run.rejected.map((r) => value(`line ${r.line}`, r.reason, r.reason));
  }
}

/** One of MLflow 3's logged models the run logged, produced (at a step) or used. */
function loggedModelValue(m: RunDetails['loggedModels'][number]): ValueNode {
  const role = m.source ? 'logged' : m.input ? 'used' : 'produced';
  const step = m.outputStep !== null ? ` at step ${m.outputStep}` : '';
  return {
    ...value(
      m.name,
      [m.modelType, m.status.toLowerCase(), `${role}${step}`].filter(Boolean).join(' · '),
      `models:/${m.id} (MLflow 3 logged model); the Models view lists it and registers it`,
    ),
    icon: 'package',
  };
}

/**
 * The Environment section: the interpreter, the platform, the GPUs and, collapsed, every installed
 * package. A child run shows its parent's (it ran in that process), and says so.
 */
function environmentValues(run: RunDetails, env: RunEnvironment): ValueNode[] {
  const rows: ValueNode[] = [];
  if (env.runId !== run.id) {
    rows.push(
      value(
        'recorded by',
        `run ${env.runId.slice(0, 12)}`,
        `This run ran in the process of run ${env.runId}: the environment is that run's.`,
      ),
    );
  }
  const implementation = env.pythonImplementation ? ` (${env.pythonImplementation})` : '';
  rows.push(value('Python', `${env.pythonVersion}${implementation}`, env.executable ?? undefined));
  if (env.executable) rows.push(value('interpreter', env.executable));
  if (env.platform) {
    const machine = [env.system, env.machine].filter((part) => part !== null).join(' ');
    rows.push(value('platform', env.platform, machine || undefined));
  }
  const { gpu } = env;
  gpu?.devices.forEach((device, index) => {
    const memory = device.memoryTotalMegabytes === null ? '' : ` · ${formatMegabytes(device.memoryTotalMegabytes)}`;
    rows.push(value(`GPU ${index}`, `${device.name}${memory}`));
  });
  if (gpu?.driverVersion) rows.push(value('NVIDIA driver', gpu.driverVersion));
  if (gpu?.cudaVersion) rows.push(value('CUDA', gpu.cudaVersion));
  const packages = Object.entries(env.packages).sort(([a], [b]) => a.localeCompare(b));
  rows.push({
    ...value(
      'packages',
      `${packages.length} installed`,
      'The distributions installed for the interpreter (importlib.metadata), by normalized name',
    ),
    icon: 'package',
    id: `run:${run.id}:environment:packages`,
    children: packages.map(([name, version]) => value(name, version, `${name}==${version}`)),
  });
  return rows;
}

/** The Git section: commit, branch, remote, and each changed file, which opens in a diff editor. */
function gitValues(run: RunDetails, storeDir: string): ValueNode[] {
  if (!run.git) return [];
  const git = run.git;
  const rows = [value('commit', git.commit.slice(0, 12), git.commit)];
  if (git.branch) rows.push(value('branch', git.branch));
  if (git.remote) rows.push(value('remote', git.remote));
  rows.push(value('working tree', git.dirty ? 'dirty (the diff is stored)' : 'clean'));
  for (const file of patchFiles(git.patch)) {
    const path = file.newPath ?? file.oldPath ?? '';
    const change =
      file.oldPath === null
        ? 'added'
        : file.newPath === null
          ? 'deleted'
          : file.oldPath !== file.newPath
            ? `renamed from ${file.oldPath}`
            : 'modified';
    const ref: RunFileRef = {
      storeDir,
      runId: run.id,
      oldPath: file.oldPath,
      newPath: file.newPath,
      binary: file.binary,
    };
    rows.push({
      kind: 'value',
      label: path,
      value: file.binary ? `${change} (binary)` : change,
      tooltip: `${path}: ${change}; click to compare with commit ${git.commit.slice(0, 12)}`,
      icon: 'diff',
      command: { command: 'runlog.openRunDiff', title: 'Open Changes', arguments: [ref] },
    });
  }
  for (const file of git.untracked) {
    if (file.content === undefined) {
      rows.push(value(file.path, 'untracked (only its name was kept)'));
      continue;
    }
    const ref: RunFileRef = {
      storeDir,
      runId: run.id,
      oldPath: null,
      newPath: file.path,
      binary: false,
      untracked: true,
    };
    rows.push({
      kind: 'value',
      label: file.path,
      value: 'untracked',
      tooltip: `${file.path}: not in git; the run kept its content`,
      icon: 'new-file',
      command: { command: 'runlog.openRunDiff', title: 'Open File', arguments: [ref] },
    });
  }
  return rows;
}
