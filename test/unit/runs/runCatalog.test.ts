import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupByExperiment, readCatalog } from '../../../src/runs/runCatalog';

describe('run catalog', () => {
  let store: string;

  beforeEach(async () => {
    store = await mkdtemp(join(tmpdir(), 'runlog-catalog-'));
  });
  afterEach(async () => {
    await rm(store, { recursive: true, force: true });
  });

  async function journal(id: string, text: string): Promise<void> {
    await mkdir(join(store, 'runs', id), { recursive: true });
    await writeFile(join(store, 'runs', id, 'events.jsonl'), text);
  }
  const start = (id: string, ts: number, experiment: string): string =>
    JSON.stringify({ t: 'run_start', ts, run_id: id, name: `name-${id}`, experiment }) + '\n';

  it('is empty when the store does not exist yet', async () => {
    assert.deepEqual(await readCatalog(join(store, 'missing')), { runs: [], problems: [] });
  });

  it('lists runs newest first and reports bad lines without losing the run', async () => {
    await journal('a', start('a', 1, 'x'));
    await journal('b', start('b', 3, 'y') + 'garbage\n');
    await journal('c', start('c', 2, 'x'));
    await mkdir(join(store, 'runs', 'no-journal-yet'));
    await mkdir(join(store, 'runs', '.hidden'));
    const catalog = await readCatalog(store);
    assert.deepEqual(
      catalog.runs.map((r) => r.id),
      ['b', 'c', 'a'],
    );
    assert.equal(catalog.problems.length, 1);
    assert.equal(catalog.problems[0]?.runId, 'b');
    assert.deepEqual(catalog.problems[0]?.problems, [{ line: 2, reason: 'not valid JSON' }]);
    assert.deepEqual(
      groupByExperiment(catalog.runs).map((g) => [g.name, g.runs.map((r) => r.id)]),
      [
        ['x', ['c', 'a']],
        ['y', ['b']],
      ],
    );
  });
});
