import { join } from 'node:path';
import * as vscode from 'vscode';
import { patchFiles } from '../git/runDiff';
import { formatMetricValue } from '../../shared/formatValue';
import { NOTE_TAG } from '../store/ingest';
import type { RunDetails } from '../store/types';

export type Section = 'params' | 'metrics' | 'tags' | 'git' | 'artifacts' | 'models' | 'inputs' | 'problems';

/** A leaf of the Runs view: a param, a metric, a tag, a file; some open something on a click. */
export interface ValueNode {
  readonly kind: 'value';
  readonly label: string;
  readonly value: string;
  readonly tooltip?: string;
  readonly command?: vscode.Command;
  readonly icon?: string;
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
      return run.metrics.map((m) => {
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
    case 'artifacts':
      return run.artifacts.map((a) => artifactValue(run.id, a, storeDir));
    case 'models':
      return run.models.map((m) => ({
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
      }));
    case 'inputs':
      return run.inputs.map((i) => value(i.name, i.path, `digest ${i.digest}`));
    case 'problems':
      return run.rejected.map((r) => value(`line ${r.line}`, r.reason, r.reason));
  }
}

/** An artifact opens on a click, unless its journal path would lead out of the run's artifacts. */
function artifactValue(runId: string, artifact: RunDetails['artifacts'][number], storeDir: string): ValueNode {
  const row = value(artifact.path, formatBytes(artifact.size), `sha256 ${artifact.sha256}`);
  const parts = artifact.path.split(/[\\/]/);
  if (artifact.path.startsWith('/') || parts.some((p) => p === '..' || p === '')) return row;
  return {
    ...row,
    icon: 'file',
    command: {
      command: 'vscode.open',
      title: 'Open Artifact',
      arguments: [vscode.Uri.file(join(storeDir, 'runs', runId, 'artifacts', ...parts))],
    },
  };
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

function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}
