import * as assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RenderReport } from '../../shared/chartsProtocol';
import type { RunsTreeNode } from '../../src/views/runsTreeProvider';
import {
  api,
  dropStoreDir,
  labelOf,
  runEnded,
  screenshot,
  useStoreDir,
  waitFor,
  workspaceFolder,
  writeJournal,
} from './helpers';

type RunNode = Extract<RunsTreeNode, { kind: 'run' }>;

const T0 = 1_700_000_000_000;
const HOSTILE = '<img src=x onerror=alert(1)>';
const STEPS = 30;

/** What the Python client's sampler logs every 10 s, for a GPU machine this one is not. */
function systemMetrics(gpus: { util: (step: number) => number; memory: (step: number) => number }[]): object[] {
  const lines: object[] = [];
  for (let step = 0; step < STEPS; step++) {
    const at = { ts: T0 + 10_000 * step, step };
    lines.push({ t: 'metric', ...at, key: 'system/cpu_utilization_percentage', value: 50 + (step % 7) });
    lines.push({ t: 'metric', ...at, key: 'system/process_memory_rss_megabytes', value: 1200 + step * 10 });
    gpus.forEach((gpu, i) => {
      lines.push({ t: 'metric', ...at, key: `system/gpu_${i}_utilization_percentage`, value: gpu.util(step) });
      lines.push({ t: 'metric', ...at, key: `system/gpu_${i}_memory_usage_megabytes`, value: gpu.memory(step) });
      const share = Math.round((gpu.memory(step) / 40_960) * 1000) / 10;
      lines.push({ t: 'metric', ...at, key: `system/gpu_${i}_memory_usage_percentage`, value: share });
    });
    lines.push({ t: 'metric', ...at, key: 'loss', value: 1 / (step + 1) });
  }
  return lines;
}

function environment(packages: Record<string, string>, devices: number): object {
  return {
    t: 'environment',
    ts: T0 + 1,
    python_version: '3.11.2',
    python_implementation: 'CPython',
    executable: '/opt/venv/bin/python',
    platform: 'Linux-6.1.0-18-amd64-x86_64-with-glibc2.36',
    system: 'Linux',
    machine: 'x86_64',
    packages,
    gpu: {
      driver_version: '535.104.05',
      cuda_version: '12.2',
      devices: Array.from({ length: devices }, () => ({
        name: 'NVIDIA A100-SXM4-40GB',
        memory_total_megabytes: 42_949.7,
      })),
    },
  };
}

describe('System metrics and environments', function () {
  this.timeout(120_000);
  let storeDir: string;

  async function runNode(id: string): Promise<RunNode> {
    const { runs } = await api();
    return waitFor(`run ${id} in the Runs view`, async () => {
      const experiment = (await runs.getChildren()).find((n) => labelOf(runs.getTreeItem(n)) === 'gpus');
      const found = experiment ? await runs.getChildren(experiment) : [];
      // A child run is listed under its parent run.
      const nested = await Promise.all(
        found.filter((n) => n.kind === 'run' && (n.nested?.children ?? 0) > 0).map((n) => runs.getChildren(n)),
      );
      return [...found, ...nested.flat()].find((n): n is RunNode => n.kind === 'run' && n.run.id === id);
    });
  }

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-environment-'));
    await writeJournal(storeDir, 'gpu-a', [
      { t: 'run_start', ts: T0, run_id: 'gpu-a', name: 'a100-run', experiment: 'gpus' },
      environment({ numpy: '1.24.2', torch: '2.1.0', 'scikit-learn': '1.3.0', six: '1.16.0' }, 1),
      ...systemMetrics([{ util: (s) => 60 + (s % 3) * 10, memory: (s) => 1000 + s * 300 }]),
      { t: 'run_end', ts: T0 + 300_000, status: 'FINISHED' },
    ]);
    await writeJournal(storeDir, 'gpu-b', [
      { t: 'run_start', ts: T0 + 1000, run_id: 'gpu-b', name: 'two-gpus', experiment: 'gpus' },
      environment({ numpy: '1.26.4', 'scikit-learn': '1.3.0', six: '1.16.0', scipy: '1.11.4', [HOSTILE]: '1' }, 2),
      ...systemMetrics([
        { util: () => 30, memory: () => 2000 },
        { util: () => 90, memory: () => 500 },
      ]),
      { t: 'run_end', ts: T0 + 301_000, status: 'FINISHED' },
    ]);
    // A child run of the same process records no environment: it shows its parent's.
    await writeJournal(storeDir, 'gpu-a-child', [
      {
        t: 'run_start',
        ts: T0 + 2000,
        run_id: 'gpu-a-child',
        name: 'fold-1',
        experiment: 'gpus',
        parent_run_id: 'gpu-a',
      },
      { t: 'metric', ts: T0 + 2001, key: 'loss', value: 0.5, step: 0 },
      { t: 'run_end', ts: T0 + 3000, status: 'FINISHED' },
    ]);
    await useStoreDir(storeDir);
    await runNode('gpu-b');
  });

  after(async () => {
    (await api()).charts()?.updateLayout({ systemOpen: false });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await dropStoreDir(storeDir);
  });

  it("shows a run's Environment section: Python, platform, GPUs, and its packages collapsed", async () => {
    const { runs, runsView } = await api();
    const node = await runNode('gpu-a');
    const sections = await runs.getChildren(node);
    const section = sections.find((n) => n.kind === 'section' && n.section === 'environment');
    assert.ok(section, `sections: ${sections.map((n) => labelOf(runs.getTreeItem(n))).join(', ')}`);
    const rows = await runs.getChildren(section);
    const shown = rows.map((n) => {
      const item = runs.getTreeItem(n);
      return `${labelOf(item)}: ${String(item.description)}`;
    });
    assert.deepEqual(shown, [
      'Python: 3.11.2 (CPython)',
      'interpreter: /opt/venv/bin/python',
      'platform: Linux-6.1.0-18-amd64-x86_64-with-glibc2.36',
      'GPU 0: NVIDIA A100-SXM4-40GB · 42.9 GB',
      'NVIDIA driver: 535.104.05',
      'CUDA: 12.2',
      'packages: 4 installed',
    ]);
    const packages = rows.at(-1);
    assert.ok(packages);
    assert.equal(runs.getTreeItem(packages).collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const listed = (await runs.getChildren(packages)).map((n) => {
      const item = runs.getTreeItem(n);
      return `${labelOf(item)}==${String(item.description)}`;
    });
    assert.deepEqual(listed, ['numpy==1.24.2', 'scikit-learn==1.3.0', 'six==1.16.0', 'torch==2.1.0']);

    // The child ran in its parent's process: its section is the parent's, and says so.
    const child = await runNode('gpu-a-child');
    const childSection = (await runs.getChildren(child)).find(
      (n) => n.kind === 'section' && n.section === 'environment',
    );
    assert.ok(childSection);
    const first = (await runs.getChildren(childSection))[0];
    assert.ok(first);
    assert.equal(
      `${labelOf(runs.getTreeItem(first))}: ${String(runs.getTreeItem(first).description)}`,
      'recorded by: run gpu-a',
    );

    await runsView.reveal(node, { expand: true, select: true, focus: true });
    await runsView.reveal(section, { expand: true, select: false });
    await runsView.reveal(packages, { expand: true, select: false });
    await screenshot('environment-section');
  });

  it("sums up GPU use in the run's tooltip, not a line per system metric", async () => {
    const { runs } = await api();
    // The tooltip is Markdown with its text appended as text: spaces as &nbsp;, punctuation escaped.
    const tooltip = (id: string): Promise<string> =>
      runNode(id).then((node) =>
        (runs.getTreeItem(node).tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1'),
      );
    const a = await tooltip('gpu-a');
    // Memory peaks at step 29: 1000 + 29 × 300 = 9700 MB, 23.7%; utilization 60, 70, 80: 70.
    assert.ok(a.includes('GPU 0: peak memory 9.7 GB (24%), mean utilization 70%'), a);
    assert.ok(a.includes('process memory: peak 1.49 GB'), a);
    assert.ok(!a.includes('system/'), 'no line per system metric');
    const b = await tooltip('gpu-b');
    assert.ok(b.includes('GPU 0: peak memory 2 GB (4.9%), mean utilization 30%'), b);
    assert.ok(b.includes('GPU 1: peak memory 500 MB (1.2%), mean utilization 90%'), b);
    // The key metric in the description is the run's own, never a system metric.
    assert.match(String(runs.getTreeItem(await runNode('gpu-a')).description), /^loss /);
  });

  it('puts system metrics in a System section of the Charts panel, closed until opened', async () => {
    const { charts } = await api();
    const report = (what: string, ok: (r: RenderReport) => boolean): Promise<RenderReport> =>
      waitFor(what, () => {
        const r = charts()?.lastReport;
        return Promise.resolve(r && ok(r) ? r : undefined);
      });
    await vscode.commands.executeCommand('runlog.openCharts', { runIds: ['gpu-a', 'gpu-b'] });
    const panel = charts();
    assert.ok(panel);
    panel.updateLayout({ systemOpen: false });
    // 2 + 3 × 2 GPUs system series, loss on its own: one chart drawn, the System section closed.
    const closed = await report(
      'the loss chart drawn, the System section closed',
      (r) => r.charts === 1 && !r.system.open && r.lines.length > 0,
    );
    assert.equal(closed.system.charts, 8);
    assert.deepEqual(
      [...new Set(closed.lines.map((l) => l.key))],
      ['loss'],
      'a closed section draws nothing, so it fetches nothing',
    );
    await screenshot('charts-system-closed');
    panel.updateLayout({ systemOpen: true });
    // Its charts draw as they come on screen: the first ones at once.
    const open = await report(
      'the System section open and drawn',
      (r) => r.charts === 9 && r.system.open && r.lines.some((l) => l.key === 'system/cpu_utilization_percentage'),
    );
    assert.equal(open.lines.filter((l) => l.key === 'system/cpu_utilization_percentage').length, 2, 'both runs');
    await screenshot('charts-system-open');
    panel.updateLayout({ systemOpen: false });
    await report('the System section closed again', (r) => r.charts === 1 && !r.system.open);
  });

  it('compares GPU use and lists the packages whose versions differ, in the panel and its Markdown', async () => {
    const { compare } = await api();
    await vscode.commands.executeCommand('runlog.compareRuns', { runIds: ['gpu-a', 'gpu-b'] });
    const report = await waitFor('the compare panel to draw both runs', () => {
      const r = compare.lastRendered;
      return Promise.resolve(r && r.runIds.join() === 'gpu-a,gpu-b' ? r : undefined);
    });
    for (const key of [
      'system.gpu_0.memory_peak_megabytes',
      'system.gpu_0.utilization_mean_percentage',
      'environment.gpus',
      'environment.packages.numpy',
      'environment.packages.torch',
      'environment.packages.scipy',
      `environment.packages.${HOSTILE}`,
    ]) {
      assert.ok(report.differing.includes(key), `${key} differs: ${report.differing.join(', ')}`);
    }
    assert.ok(
      !report.differing.some((k) => k.includes('six') || k.includes('scikit-learn')),
      'equal packages are not listed',
    );
    assert.ok(!report.differing.some((k) => k.startsWith('metrics.system/')), 'system metrics are not metric rows');
    assert.equal(report.images, 0, 'a package named like HTML stays text');
    await screenshot('compare-environment');

    assert.ok(compare.current);
    await compare.current.export('markdown', 'document', true);
    const document = await waitFor('the Markdown document', () => {
      const editor = vscode.window.activeTextEditor;
      return Promise.resolve(editor?.document.languageId === 'markdown' ? editor.document : undefined);
    });
    const lines = document.getText().split('\n');
    assert.ok(lines.includes('| system.GPU 0 memory (peak) | 9.7 GB (24%) | 2 GB (4.9%) |'), document.getText());
    assert.ok(lines.includes('| system.GPU 0 utilization (mean) | 70% | 30% |'), document.getText());
    assert.ok(lines.includes('| environment.numpy | 1.24.2 | 1.26.4 |'), document.getText());
    assert.ok(lines.includes('| environment.torch | 2.1.0 | not installed |'), document.getText());
    assert.ok(!document.getText().includes('<img'), 'no raw HTML in the export');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('samples system metrics into launched runs that import runlog, unless runlog.systemMetrics is off', async () => {
    const script = vscode.Uri.joinPath(workspaceFolder().uri, 'sampled_run.py');
    await writeFile(
      script.fsPath,
      'import runlog\nwith runlog.start_run():\n    runlog.log_metric("score", 1.0, step=0)\n',
    );
    const config = vscode.workspace.getConfiguration('runlog');
    const keys = async (): Promise<string[]> => {
      const [id] = await (await api()).launcher.launchWith(script, { values: {}, extra: [] }, false);
      assert.ok(id);
      const run = await runEnded(id);
      assert.equal(run.status, 'FINISHED', run.error ?? '');
      assert.ok(run.environment, 'the client recorded its environment');
      return run.metrics.map((m) => m.key);
    };
    try {
      const on = await keys();
      // Memory is always read; CPU utilization needs the clock to tick between two samples.
      assert.ok(on.includes('score') && on.includes('system/system_memory_usage_megabytes'), on.join(', '));
      await config.update('systemMetrics', false, vscode.ConfigurationTarget.Workspace);
      assert.deepEqual(await keys(), ['score']);
    } finally {
      await config.update('systemMetrics', undefined, vscode.ConfigurationTarget.Workspace);
      await rm(script.fsPath, { force: true });
    }
  });
});
