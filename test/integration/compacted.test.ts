import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { JournalCompactor } from '../../src/store/journalCompactor';
import { api, closeChartsAndDropStore, screenshot, useStoreWithRuns, waitFor } from './helpers';

const T0 = 1_700_000_000_000;
const GENERATION = '0123456789abcdef';
const LOSS = (step: number): number => 1 / (1 + step / 300) + Math.sin(step / 40) * 0.02;

/**
 * A finished run's journal as the store's writer compacts it (journal format 5): its points in
 * `points.<generation>.bin` beside a journal whose lines name them. Written here as a store of
 * another window (or a copied store) would hand it over: the window reads it as a new run.
 */
async function writeCompactedRun(storeDir: string, runId: string): Promise<void> {
  const lines: object[] = [
    { t: 'run_start', ts: T0, run_id: runId, name: 'sealed-owl', experiment: 'compacted' },
    { t: 'param', ts: T0, key: 'lr', value: '0.05' },
    ...Array.from({ length: 5000 }, (_, s) => ({ t: 'metric', ts: T0 + s * 13, key: 'loss', value: LOSS(s), step: s })),
    ...Array.from({ length: 300 }, (_, s) => ({ t: 'metric', ts: T0 + s * 13, key: 'acc', value: s / 300, step: s })),
    { t: 'run_end', ts: T0 + 70_000, status: 'FINISHED', exit_code: 0 },
  ];
  const text = Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const compactor = new JournalCompactor(GENERATION, T0 + 80_000);
  const points: Uint8Array[] = [];
  const journal: Uint8Array[] = [];
  compactor.scan(text, (bytes) => points.push(bytes));
  compactor.endScan((bytes) => points.push(bytes));
  compactor.rewrite(text, (bytes) => journal.push(bytes));
  compactor.finish((bytes) => journal.push(bytes));
  const folder = join(storeDir, 'runs', runId);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, compactor.pointsFile), Buffer.concat(points));
  await writeFile(join(folder, 'events.jsonl'), Buffer.concat(journal));
}

describe('Compacted runs (journal format 5)', () => {
  let storeDir: string;

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-compacted-'));
    await writeCompactedRun(storeDir, 'sealed-1');
    await useStoreWithRuns(storeDir, 1);
  });

  after(() => closeChartsAndDropStore(storeDir));

  it('reads every point from the points file and draws the run', async () => {
    const { storeFolders, charts } = await api();
    const [folder] = storeFolders();
    assert.ok(folder);
    const run = await folder.store.call('getRun', 'sealed-1');
    assert.equal(run?.name, 'sealed-owl');
    assert.deepEqual(run?.rejected, [], 'no line of the compacted journal was refused');
    const loss = await folder.store.call('series', 'sealed-1', 'loss');
    assert.equal(loss.values.length, 5000);
    assert.deepEqual([...loss.values.slice(0, 3)], [LOSS(0), LOSS(1), LOSS(2)]);
    assert.equal(loss.values[4999], LOSS(4999), 'the last chunk, of fewer points, too');
    await vscode.commands.executeCommand('runlog.openCharts', { runIds: ['sealed-1'] });
    const drawn = await waitFor('the charts of the compacted run', () => {
      const r = charts()?.lastReport;
      return Promise.resolve(r && r.charts === 2 && r.points === 5300 ? r : undefined);
    });
    assert.deepEqual(drawn.legend, ['sealed-owl']);
    await screenshot('compacted-charts');
  });
});
