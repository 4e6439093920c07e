import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runItemModel } from '../../../src/runs/runPresentation';
import { RunStore } from '../../../src/store/runStore';

const line = (event: object): string => `${JSON.stringify(event)}\n`;

describe('data lineage', () => {
  let dir: string;

  async function journal(runId: string, tags: Record<string, string>, digest: string): Promise<void> {
    await mkdir(join(dir, 'runs', runId), { recursive: true });
    let text = line({ t: 'run_start', ts: 1, run_id: runId, name: runId, experiment: 'e' });
    for (const [key, value] of Object.entries(tags)) text += line({ t: 'tag', ts: 2, key, value });
    text += line({ t: 'input', ts: 3, name: 'houses', path: `/data/${runId}/houses.csv`, digest });
    await appendFile(join(dir, 'runs', runId, 'events.jsonl'), text);
  }

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-lineage-')), '.runlog');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it("names the inputs a rerun or a reproduction read that differ from the original's", async () => {
    await journal('orig', {}, 'sha256:aaa');
    await journal('rerun', { 'runlog.rerun_of': 'orig' }, 'sha256:bbb');
    await journal('repro', { reproduces: 'orig' }, 'sha256:aaa');
    await journal('plain', {}, 'sha256:ccc');
    const store = await RunStore.open({ dir, writer: true, version: 'test' });
    await store.syncJournals();
    const lineage = store.query('lineage', ['orig', 'rerun', 'repro', 'plain']);
    store.close();
    assert.deepEqual(lineage, [
      [
        'rerun',
        {
          original: 'orig',
          inputs: [{ name: 'houses', path: '/data/rerun/houses.csv', was: 'sha256:aaa', now: 'sha256:bbb' }],
        },
      ],
    ]);
    const [, change] = lineage[0] ?? [];
    const reader = await RunStore.open({ dir, writer: false, version: 'test' });
    const run = reader.query('listRuns', { filter: "attributes.run_name = 'rerun'" }).runs[0];
    reader.close();
    assert.ok(run && change);
    const model = runItemModel(run, [], { keyMetric: '', goals: {} }, 0, {}, {}, change);
    assert.match(model.description, /^⚠ input changed · /);
    assert.ok(model.tooltip.some((t) => t.includes('input houses (/data/rerun/houses.csv) is not what run orig read')));
  });
});
