// Pictures, tables and text in a real VS Code: a run logging images over steps with the Python
// client (numpy arrays, Pillow's previews, a table with image cells), a run whose files are in
// MLflow's layout as the endpoint or an mlruns import writes them (other steps, no previews), the
// Media panel's slider across both, live steps, the hover on a log_image key, and the Runs view's
// artifact previews by type — a hostile SVG and file name among them.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { MediaReport, SectionReport } from '../../shared/mediaProtocol';
import type { TableReport } from '../../shared/tableProtocol';
import { escapeMarkdown } from '../../src/insights/insightText';
import { stepPicture } from '../support/pngFiles';
import {
  EXTENSION_ID,
  api,
  dropStoreDir,
  labelOf,
  runEnded,
  screenshot,
  storedRun,
  useStoreDir,
  waitFor,
  workspaceFolder,
  writeJournal,
} from './helpers';

const run = promisify(execFile);
/** A webview without scripts cannot say when it has drawn: screenshots of one wait a moment. */
const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1500));
const T0 = 1_700_000_000_000;
const KEY = 'val/predictions';
const HOSTILE_NAME = '<img src=x onerror="window.injected=1">';
/** A file name anyone could put in a journal: markup, quotes, `%`, `#`, `?`. */
const HOSTILE_FILE = `"><img src=x onerror=alert(1)> 100% #1?.txt`;
const HOSTILE_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" onload="fetch(\'http://127.0.0.1:9/svg\')">' +
  '<script>document.title = "pwned"</script><rect width="120" height="60" fill="#4e79a7"/></svg>';

/** Logs with the Python client: an image series from numpy arrays, a table with image cells, text. */
const SCRIPT = `import numpy as np
from PIL import Image
import runlog

with runlog.start_run(name="pixel-owl", experiment="media", params={"lr": "0.1"}):
    for step in range(10):
        pixels = np.zeros((48, 48, 3), dtype=np.uint8)
        pixels[:, : 4 * (step + 1), 0] = 220
        pixels[..., 2] = 90
        runlog.log_image(pixels, key="${KEY}", step=step)  # the hover's key
    thumbs = [Image.fromarray(np.full((16, 16, 3), 40 * i, dtype=np.uint8)) for i in range(3)]
    runlog.log_table(
        {"input": ["cat", "<b>dog</b>", "owl"], "loss": [0.5, 2.25, 0.125], "image": thumbs},
        "eval/worst.json",
    )
    runlog.log_dict({"lr": 0.1, "layers": [64, 32]}, "config.yaml")
    runlog.log_text("# Report\\n\\nAll good.", "report.md")
    with open("figure.html", "w") as f:
        f.write('<h1>ROC</h1><p>auc 0.93</p><script>document.body.append("scripted")</script>')
    runlog.log_artifact("figure.html")
`;

describe('Media panel', function () {
  this.timeout(180_000);
  let storeDir: string;
  let folder: string;
  let script: vscode.Uri;
  let clientRun: string;
  const layoutRun = 'mlflow-layout-1';

  /** A file of a run's artifacts, as the endpoint or an import writes it, and its `artifact` event. */
  async function artifact(runId: string, path: string, bytes: Buffer | string): Promise<object> {
    const file = join(storeDir, 'runs', runId, 'artifacts', ...path.split('/'));
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, bytes);
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    return { t: 'artifact', ts: T0, path, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }

  /** MLflow's name of a step's image (`/` in the key as `#`). */
  const mlflowName = (step: number): string =>
    `images/${KEY.replace(/\//g, '#')}%step%${step}%timestamp%${T0 + step}%g${String(step).padStart(4, '0')}-5c1e-4a2b-9f3d-0123456789ab.png`;

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-media-'));
    await useStoreDir(storeDir);
    folder = join(workspaceFolder().uri.fsPath, 'media-demo');
    await mkdir(folder, { recursive: true });
    script = vscode.Uri.file(join(folder, 'train_media.py'));
    await writeFile(script.fsPath, SCRIPT);
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    // Debian's python3 has numpy and Pillow (the first python3 on PATH may not).
    await run('/usr/bin/python3', [script.fsPath], {
      cwd: folder,
      env: {
        ...process.env,
        PYTHONPATH: join(extension.extensionPath, 'python'),
        RUNLOG_DIR: storeDir,
        RUNLOG_RUN_ID: '',
      },
    });
    // Still running: steps 0, 4, 8 in MLflow's layout, without previews (no Pillow where it ran).
    const events: object[] = [
      { t: 'run_start', ts: T0, run_id: layoutRun, name: HOSTILE_NAME, experiment: 'media' },
      { t: 'param', ts: T0, key: 'lr', value: '0.01' },
      { t: 'tag', ts: T0, key: 'mlflow.loggedImages', value: 'True' },
    ];
    for (const step of [0, 4, 8]) events.push(await artifact(layoutRun, mlflowName(step), stepPicture(40, step)));
    events.push(await artifact(layoutRun, 'hostile.svg', HOSTILE_SVG));
    events.push(await artifact(layoutRun, HOSTILE_FILE, 'just text\n'));
    events.push(await artifact(layoutRun, 'big.log', Buffer.alloc(21 * 1024 * 1024, 'x')));
    await writeJournal(storeDir, layoutRun, events);
    const { storeFolders } = await api();
    clientRun = await waitFor('the store to read both runs', async () => {
      const [store] = storeFolders();
      const page = await store?.store.call('listRuns', {});
      return page?.total === 2 ? page.runs.find((r) => r.id !== layoutRun)?.id : undefined;
    });
    const ended = await runEnded(clientRun);
    assert.equal(ended.status, 'FINISHED');
  });

  after(async () => {
    api()
      .then((a) => a.media()?.dispose())
      .catch(() => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await dropStoreDir(storeDir);
    await rm(folder, { recursive: true, force: true });
  });

  const mediaReport = async (what: string, ok: (r: MediaReport) => boolean): Promise<MediaReport> => {
    const { media } = await api();
    return waitFor(what, () => {
      const r = media()?.lastReport;
      return Promise.resolve(r && ok(r) ? r : undefined);
    });
  };
  const section = (r: MediaReport): SectionReport | undefined => r.sections.find((s) => s.key === KEY);
  const allLoaded = (s: SectionReport | undefined): boolean =>
    s !== undefined && s.shown.length > 0 && s.shown.every((i) => i.loaded);

  it('opens a section per key with both runs at the latest step, names as text, images from the runs only', async () => {
    await vscode.commands.executeCommand('runlog.openMedia', { runIds: [clientRun, layoutRun] });
    const r = await mediaReport('both runs’ images at the latest step', (x) => allLoaded(section(x)));
    const s = section(r);
    assert.ok(s);
    // Union of 0–9 and 0, 4, 8: ten steps; the client's run at 9, MLflow's nearest to 9 is 8.
    assert.equal(s.steps, 10);
    assert.equal(s.step, 9);
    assert.deepEqual(
      s.shown.map((i) => [i.runId, i.step]),
      [
        [clientRun, 9],
        [layoutRun, 8],
      ],
    );
    assert.equal(s.shown[1].file, mlflowName(8), 'no preview: the image itself');
    assert.deepEqual(r.legend, ['pixel-owl', HOSTILE_NAME]);
    assert.equal(r.foreignElements, 0, 'a run name with markup creates no element');
    assert.equal(r.strayImages, 0, 'every image is a file of a shown run');
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('runlog.media'));
    await screenshot('media-two-runs');
  });

  it('moves the slider across both runs, each snapping to its nearest logged step', async () => {
    const panel = (await api()).media();
    assert.ok(panel);
    panel.setView({ steps: { [KEY]: 5 } });
    const r = await mediaReport('step 5', (x) => section(x)?.step === 5 && allLoaded(section(x)));
    assert.deepEqual(
      section(r)?.shown.map((i) => i.step),
      [5, 4],
    );
    panel.setView({ steps: { [KEY]: 7 } });
    const r7 = await mediaReport('step 7', (x) => section(x)?.step === 7 && allLoaded(section(x)));
    assert.deepEqual(
      section(r7)?.shown.map((i) => i.step),
      [7, 8],
    );
    panel.setView({ mode: 'swipe', pair: [clientRun, layoutRun] });
    const swiped = await mediaReport('the swipe of the pair', (x) => x.mode === 'swipe' && allLoaded(section(x)));
    assert.deepEqual(swiped.pair, [clientRun, layoutRun]);
    // Full images in a comparison: the client's PNG rather than its preview.
    assert.ok(section(swiped)?.shown[0].file?.endsWith('.png'));
    await screenshot('media-swipe');
    panel.setView({ mode: 'side' });
    await mediaReport('side by side', (x) => x.mode === 'side' && allLoaded(section(x)));
    await screenshot('media-side-by-side');
    panel.setView({ mode: 'grid' });
    await mediaReport('back to all runs', (x) => x.mode === 'grid' && allLoaded(section(x)));
  });

  it('shows the steps a running run logs next', async () => {
    const panel = (await api()).media();
    assert.ok(panel);
    // At the last step the slider follows new ones.
    panel.setView({ steps: { [KEY]: 9 } });
    await mediaReport('the last step', (x) => section(x)?.step === 9);
    const lines = [await artifact(layoutRun, mlflowName(12), stepPicture(40, 12))];
    await writeJournal(storeDir, layoutRun, lines, 'a');
    const r = await mediaReport(
      'step 12 from the running run, followed',
      (x) => section(x)?.steps === 11 && section(x)?.step === 12 && allLoaded(section(x)),
    );
    assert.deepEqual(
      section(r)?.shown.map((i) => i.step),
      [9, 12],
    );
  });

  it('comes back after a reload with its runs and chosen step', async () => {
    const { reviveMedia, media } = await api();
    media()?.dispose();
    const revived = await reviveMedia({
      runIds: [layoutRun],
      view: { steps: { [KEY]: 4 }, mode: 'grid', pair: null, size: 'large' },
    });
    try {
      const r = await mediaReport('the restored panel', (x) => section(x)?.step === 4 && allLoaded(section(x)));
      assert.deepEqual(r.legend, [HOSTILE_NAME]);
    } finally {
      revived.dispose();
    }
  });

  it('says so, rather than a blank panel, for runs that logged no images', async () => {
    const plainRun = 'no-images-1';
    await writeJournal(storeDir, plainRun, [
      { t: 'run_start', ts: T0, run_id: plainRun, name: 'plain-heron', experiment: 'media' },
      { t: 'metric', ts: T0, key: 'loss', value: 0.5, step: 0 },
      { t: 'run_end', ts: T0 + 1, status: 'FINISHED' },
    ]);
    await waitFor('the store to read the run without images', async () => (await storedRun(plainRun)) ?? undefined);
    await vscode.commands.executeCommand('runlog.openMedia', { runIds: [plainRun] });
    const r = await mediaReport('the note of no images', (x) => x.legend[0] === 'plain-heron' && x.note !== null);
    assert.equal(
      r.note,
      'These runs logged no images over steps yet (runlog.log_image(image, key=…, step=…), or mlflow.log_image with a key).',
    );
    assert.equal(r.keys, 0);
    assert.equal((await api()).media()?.runIds.join(), plainRun);
    await screenshot('media-no-images');
    (await api()).media()?.dispose();
  });

  it('hovers a log_image key with the runs that logged it and a link to the Media panel', async () => {
    const document = await vscode.workspace.openTextDocument(script);
    await vscode.window.showTextDocument(document);
    const at = document.positionAt(document.getText().indexOf(`"${KEY}"`) + 2);
    const text = await waitFor('the image hover', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', script, at);
      const found = hovers
        .flatMap((h) => h.contents)
        .map((c) => (typeof c === 'string' ? c : c.value))
        .join('\n');
      return found.includes('images') ? found : undefined;
    });
    assert.ok(text.includes(escapeMarkdown('pixel-owl')), text);
    assert.ok(text.includes('| 10 | 0–9 |'), text);
    assert.ok(!text.includes('onerror'), 'the other run is not the script’s');
    assert.ok(text.includes('command:runlog.openMedia'), text);
    // The link's arguments, as VS Code runs them.
    const link = /\(command:runlog\.openMedia\?([^ )]+)/.exec(text);
    assert.ok(link);
    const [arg] = JSON.parse(decodeURIComponent(link[1])) as [{ runIds: string[]; keys: string[] }];
    assert.deepEqual(arg, { runIds: [clientRun], keys: [KEY] });
    await vscode.commands.executeCommand('runlog.openMedia', arg);
    const r = await mediaReport('the panel from the hover', (x) => x.legend.length === 1 && allLoaded(section(x)));
    assert.deepEqual(r.legend, ['pixel-owl']);
    // Left open: the next test shows other runs in the same panel.
  });

  it("lists an image series as one row per key in the Runs view's Artifacts, which opens the Media panel there", async () => {
    const { runs } = await api();
    const item = await waitFor('the series row', async () => {
      const experiment = (await runs.getChildren()).find((n) => labelOf(runs.getTreeItem(n)) === 'media');
      const run =
        experiment && (await runs.getChildren(experiment)).find((n) => n.kind === 'run' && n.run.id === layoutRun);
      const section = run && (await runs.getChildren(run)).find((n) => labelOf(runs.getTreeItem(n)) === 'Artifacts');
      const rows = section ? (await runs.getChildren(section)).map((n) => runs.getTreeItem(n)) : [];
      return rows.find((r) => labelOf(r) === `images: ${KEY}`);
    });
    assert.equal(item.description, '4 steps (steps 0–12)');
    assert.equal(item.command?.command, 'runlog.openMedia');
    const before = (await api()).media();
    assert.ok(before, 'the panel the hover opened');
    await vscode.commands.executeCommand(item.command.command, ...((item.command.arguments ?? []) as unknown[]));
    const r = await mediaReport(
      'the panel from the Runs view',
      (x) => x.legend.length === 1 && x.legend[0] === HOSTILE_NAME && allLoaded(section(x)),
    );
    assert.deepEqual(r.legend, [HOSTILE_NAME]);
    // The same panel, reloaded with the other run's folder as its only image root.
    assert.equal((await api()).media(), before);
    assert.equal(r.strayImages, 0);
    (await api()).media()?.dispose();
  });

  it('previews a logged table in the table viewer: sorted, filtered, image cells as thumbnails', async () => {
    const { tables } = await api();
    const kind = await vscode.commands.executeCommand('runlog.openArtifact', {
      storeDir,
      runId: clientRun,
      path: 'eval/worst.json',
      table: true,
    });
    assert.equal(kind, 'table');
    const tableReport = (what: string, ok: (r: TableReport) => boolean): Promise<TableReport> =>
      waitFor(what, () => Promise.resolve(tables.lastReport && ok(tables.lastReport) ? tables.lastReport : undefined));
    const r = await tableReport('the table', (x) => x.rows === 3 && x.images === 3);
    assert.deepEqual(r.columns, ['input', 'loss', 'image']);
    assert.equal(r.strayImages, 0);
    assert.equal(r.foreignElements, 0, '<b>dog</b> is text');
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom && tab.input.viewType.endsWith('runlog.table'));
    tables.query({ sort: { column: 'loss', descending: true } });
    const sorted = await tableReport('sorted by loss', (x) => x.sort?.column === 'loss' && x.images === 3);
    assert.deepEqual(sorted.first.slice(0, 2), ['<b>dog</b>', '2.25']);
    await screenshot('media-table');
    tables.query({ filter: 'owl' });
    const filtered = await tableReport('filtered', (x) => x.filter === 'owl' && x.shown === 1);
    assert.equal(filtered.first[0], 'owl');
    tables.query({ filter: '', sort: null });
  });

  it('previews artifacts by type: images, text, HTML with scripts off, a hostile SVG; refuses what is too large or outside the run', async () => {
    const { htmlPreviews } = await api();
    const open = (runId: string, path: string): Thenable<unknown> =>
      vscode.commands.executeCommand('runlog.openArtifact', { storeDir, runId, path });
    const activeTab = (): vscode.Tab | undefined => vscode.window.tabGroups.activeTabGroup.activeTab;

    assert.equal(await open(layoutRun, mlflowName(4)), 'image');
    const image = activeTab();
    assert.ok(image?.input instanceof vscode.TabInputCustom && image.input.viewType === 'imagePreview.previewEditor');

    assert.equal(await open(layoutRun, 'hostile.svg'), 'image');
    const svg = activeTab();
    assert.ok(svg?.input instanceof vscode.TabInputCustom && svg.input.viewType === 'imagePreview.previewEditor');
    await settled();
    await screenshot('media-svg-preview');

    assert.equal(await open(clientRun, 'config.yaml'), 'text');
    assert.ok(vscode.window.activeTextEditor?.document.getText().includes('lr: 0.1'));
    assert.equal(await open(clientRun, 'report.md'), 'text');
    assert.equal(await open(layoutRun, HOSTILE_FILE), 'text');
    assert.equal(vscode.window.activeTextEditor?.document.getText(), 'just text\n');

    assert.equal(await open(clientRun, 'figure.html'), 'html');
    const file = vscode.Uri.file(join(storeDir, 'runs', clientRun, 'artifacts', 'figure.html'));
    const panel = htmlPreviews.panelOf(file);
    assert.ok(panel);
    assert.deepEqual(panel.webview.options.localResourceRoots, []);
    const html = panel.webview.html;
    assert.ok(html.includes('<iframe sandbox=""'), 'the figure is framed in a sandbox');
    assert.ok(html.includes('&lt;script&gt;document.body.append'), 'its script is escaped text in srcdoc');
    const scripts = html.match(/<script[\s>]/g) ?? [];
    assert.equal(scripts.length, 1, 'no script element but the page’s own, which keeps the state');
    assert.match(html, /script-src 'nonce-[^']+'"/, 'and the policy runs nothing without its nonce');
    assert.ok(html.includes('scripts are off'));
    await settled();
    await screenshot('media-html-preview');

    assert.equal(await open(layoutRun, 'big.log'), undefined, 'over 20 MB of text is not opened');
    assert.equal(await open(layoutRun, '../events.jsonl'), undefined, 'a path out of the artifacts');
  });

  it('brings an HTML preview back after a reload, read again from disk; a state naming a link out of the run, or a gone file, gets a message', async () => {
    const { htmlPreviews } = await api();
    const file = vscode.Uri.file(join(storeDir, 'runs', clientRun, 'artifacts', 'figure.html'));
    assert.equal(
      await vscode.commands.executeCommand('runlog.openArtifact', { storeDir, runId: clientRun, path: 'figure.html' }),
      'html',
    );
    const before = htmlPreviews.panelOf(file);
    assert.ok(before);
    // What the page hands to VS Code's webview state, which is all a reload keeps.
    const saved = /data-state="([^"]*)"/.exec(before.webview.html)?.[1];
    assert.ok(saved, 'the page saves where its file is');
    const state: unknown = JSON.parse(
      saved
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    );
    assert.deepEqual(state, { artifact: { storeDir, runId: clientRun, path: 'figure.html' } });
    before.dispose();
    assert.equal(htmlPreviews.panelOf(file), undefined);

    // What VS Code does after a reload: a new panel of the view type, given to its serializer.
    const revive = async (title: string, kept: unknown): Promise<vscode.WebviewPanel> => {
      const panel = vscode.window.createWebviewPanel('runlog.htmlPreview', title, vscode.ViewColumn.Active);
      await htmlPreviews.deserializeWebviewPanel(panel, kept);
      return panel;
    };
    const restored = await revive('figure.html', state);
    assert.equal(htmlPreviews.panelOf(file), restored, 'the restored panel is the one a click reuses');
    assert.equal(restored.title, 'figure.html');
    assert.deepEqual(restored.webview.options.localResourceRoots, []);
    const html = restored.webview.html;
    assert.ok(html.includes('<iframe sandbox=""'), 'framed in a sandbox again');
    assert.ok(html.includes('&lt;h1&gt;ROC&lt;/h1&gt;&lt;p&gt;auc 0.93&lt;/p&gt;'), 'the file, read again');
    assert.equal(html.match(/<script/g)?.length, 1, 'one script: the page’s own, which keeps the state');
    await settled();
    await screenshot('media-html-restored');
    restored.dispose();

    // A link in the run's artifacts that leads out of the run, and a file deleted since.
    const outside = join(folder, 'not-an-artifact.html');
    await writeFile(outside, '<p>secret</p>');
    await symlink(outside, join(storeDir, 'runs', clientRun, 'artifacts', 'escape.html'));
    const refused = await revive('escape.html', { artifact: { storeDir, runId: clientRun, path: 'escape.html' } });
    assert.ok(refused.webview.html.includes('Runlog does not open it'), refused.webview.html);
    assert.ok(!refused.webview.html.includes('secret'));
    assert.equal(refused.webview.options.enableScripts, false);
    await settled();
    await screenshot('media-html-refused');
    refused.dispose();
    const gone = await revive('gone.html', { artifact: { storeDir, runId: clientRun, path: 'plots/gone.html' } });
    assert.ok(gone.webview.html.includes('plots/gone.html is gone'), gone.webview.html);
    gone.dispose();
    const elsewhere = await revive('x.html', { artifact: { storeDir: folder, runId: clientRun, path: 'figure.html' } });
    assert.ok(elsewhere.webview.html.includes('outside the Runlog stores of this workspace'));
    elsewhere.dispose();
  });
});
