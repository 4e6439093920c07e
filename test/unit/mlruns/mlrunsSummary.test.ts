import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportTarget } from '../../../src/mlruns/mlrunsExport';
import { exportSummaryText, importSummaryText, notificationText } from '../../../src/mlruns/mlrunsSummary';

describe('MLflow import and export summaries', () => {
  it('says what was imported, skipped and unreadable, and why', () => {
    assert.equal(
      importSummaryText({
        imported: 12,
        experiments: 3,
        skipped: 4,
        unreadable: ['run abc: meta.yaml: status "9" is not an MLflow run status'],
        warnings: [],
        cancelled: false,
      }),
      'Imported 12 runs from 3 experiments, skipped 4 already present, 1 unreadable: run abc: meta.yaml: status "9" is not an MLflow run status',
    );
    assert.equal(
      importSummaryText({
        imported: 1,
        experiments: 1,
        skipped: 0,
        unreadable: ['a', 'b'],
        warnings: ['w'],
        cancelled: true,
      }),
      'Cancelled after importing 1 run from 1 experiment, 2 unreadable: a (and 1 more in the log), 1 item left out (see the log)',
    );
  });

  it('leaves no markdown link in text from an mlruns folder', () => {
    const text = notificationText('run [click](command:runlog.deleteRunPermanently): no meta.yaml; [a] \t(b)');
    assert.equal(text, 'run [click] (command:runlog.deleteRunPermanently): no meta.yaml; [a] (b)');
    assert.doesNotMatch(text, /\]\(/);
  });

  it('says where runs were exported', () => {
    assert.equal(
      exportSummaryText(
        { exported: 2, experiments: 1, skipped: 1, failed: [], warnings: [], cancelled: false },
        '/tmp/mlruns',
      ),
      'Exported 2 runs into 1 experiment in /tmp/mlruns, skipped 1 already there',
    );
  });

  it('exports into the picked mlruns folder, or into mlruns/ under any other folder', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'runlog-target-'));
    try {
      assert.equal(await exportTarget(join(tmp, 'mlruns')), join(tmp, 'mlruns'));
      assert.equal(await exportTarget(tmp), join(tmp, 'mlruns'));
      await mkdir(join(tmp, 'store', '.trash'), { recursive: true });
      assert.equal(await exportTarget(join(tmp, 'store')), join(tmp, 'store'));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
