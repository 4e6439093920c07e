import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HtmlRestore } from '../../../src/runs/artifactFile';
import { htmlPreviewState, locateArtifact, restoreHtmlPreview } from '../../../src/runs/artifactFile';
import { PREVIEW_LIMITS } from '../../../src/runs/artifactPreview';

describe('artifact files: where an artifact is, and what a restored HTML preview shows', () => {
  let dir: string;
  let store: string;
  let otherStore: string;
  const FIGURE = '<h1>ROC</h1><p>auc 0.93</p>';

  const artifacts = (storeDir: string, runId: string): string => join(storeDir, 'runs', runId, 'artifacts');
  const state = (storeDir: string, runId: string, path: string): unknown => htmlPreviewState({ storeDir, runId, path });
  const restore = (s: unknown): Promise<HtmlRestore> => restoreHtmlPreview(s, [store]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-artifact-file-'));
    store = join(dir, 'ws', '.runlog');
    otherStore = join(dir, 'elsewhere', '.runlog');
    await mkdir(join(artifacts(store, 'run-1'), 'plots'), { recursive: true });
    await writeFile(join(artifacts(store, 'run-1'), 'plots', 'roc.html'), FIGURE);
    await writeFile(join(artifacts(store, 'run-1'), 'notes.txt'), 'text');
    await mkdir(join(artifacts(store, 'run-1'), 'folder.html'));
    await writeFile(join(store, 'runs', 'run-1', 'secret.html'), '<p>the journal’s folder</p>');
    await mkdir(artifacts(otherStore, 'run-9'), { recursive: true });
    await writeFile(join(artifacts(otherStore, 'run-9'), 'other.html'), '<p>another store</p>');
    await writeFile(join(dir, 'outside.html'), '<p>outside</p>');
    // A symbolic link to a file out of the run, and a folder on the way that leads out.
    await symlink(join(dir, 'outside.html'), join(artifacts(store, 'run-1'), 'link.html'));
    await symlink(dir, join(artifacts(store, 'run-1'), 'up'));
    // One byte over the limit, without writing 10 MB.
    await writeFile(join(artifacts(store, 'run-1'), 'huge.html'), '');
    await truncate(join(artifacts(store, 'run-1'), 'huge.html'), PREVIEW_LIMITS.html + 1);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the file again from the state of the preview that was open: read from disk, at the same path', async () => {
    const shown = await restore(state(store, 'run-1', 'plots/roc.html'));
    assert.equal(shown.kind, 'show');
    assert.equal(shown.html, FIGURE);
    assert.equal(shown.file, join(artifacts(store, 'run-1'), 'plots', 'roc.html'));
    assert.deepEqual(shown.ref, { storeDir: store, runId: 'run-1', path: 'plots/roc.html' });
  });

  it('says a file is gone, naming it, when the run or the file was deleted', async () => {
    for (const s of [state(store, 'run-1', 'plots/deleted.html'), state(store, 'run-404', 'plots/roc.html')]) {
      const gone = await restore(s);
      assert.equal(gone.kind, 'gone');
      assert.match(gone.message, /^plots\/(deleted|roc)\.html is gone: /);
    }
  });

  it('refuses a file outside the stores of the workspace, even one in a run of another store', async () => {
    for (const s of [state(otherStore, 'run-9', 'other.html'), state(dir, '..', 'outside.html')]) {
      const refused = await restore(s);
      assert.equal(refused.kind, 'refused');
      assert.match(refused.message, /outside the Runlog stores of this workspace/);
    }
  });

  it('refuses `..`, absolute and odd paths, and a run id that is not one', async () => {
    const states = [
      state(store, 'run-1', '../secret.html'),
      state(store, 'run-1', 'plots/../../secret.html'),
      state(store, 'run-1', join(dir, 'outside.html')),
      state(store, 'run-1', 'plots\\..\\..\\secret.html'),
      state(store, '..', 'run-1/secret.html'),
      state(store, 'run-1/../run-1', 'plots/roc.html'),
    ];
    for (const s of states) {
      const refused = await restore(s);
      assert.equal(refused.kind, 'refused', JSON.stringify(s));
      assert.match(refused.message, /Runlog does not open it\.$/);
    }
  });

  it('refuses a symbolic link out of the artifacts (the file, or a folder on its way) and a folder', async () => {
    for (const path of ['link.html', 'up/outside.html', 'folder.html']) {
      const refused = await restore(state(store, 'run-1', path));
      assert.equal(refused.kind, 'refused', path);
      assert.match(refused.message, /not a file of the run’s artifacts/);
    }
  });

  it('refuses what is not an HTML file, and says so for an HTML file over the size limit', async () => {
    const text = await restore(state(store, 'run-1', 'notes.txt'));
    assert.equal(text.kind, 'refused');
    const huge = await restore(state(store, 'run-1', 'huge.html'));
    assert.equal(huge.kind, 'tooLarge');
    assert.match(huge.message, /^huge\.html is 10\.0 MB: Runlog opens HTML files up to 10\.0 MB/);
  });

  it('says there is nothing to restore for a state without an artifact', async () => {
    for (const s of [undefined, null, 'plots/roc.html', {}, { artifact: { storeDir: store, runId: 'run-1' } }]) {
      const nothing = await restore(s);
      assert.equal(nothing.kind, 'refused');
      assert.equal(nothing.title, 'HTML preview');
    }
  });

  it('locates a click’s artifact by the same rule', async () => {
    const found = await locateArtifact({ storeDir: store, runId: 'run-1', path: 'plots/roc.html' });
    assert.deepEqual(found, {
      ok: true,
      file: join(artifacts(store, 'run-1'), 'plots', 'roc.html'),
      size: FIGURE.length,
    });
    assert.equal((await locateArtifact({ storeDir: store, runId: 'run-1', path: 'link.html' })).ok, false);
    const gone = await locateArtifact({ storeDir: store, runId: 'run-1', path: 'nope.html' });
    assert.ok(!gone.ok && gone.reason === 'gone');
  });
});
