import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insightQueries } from '../../../src/store/insightQueries';
import { mediaQueries } from '../../../src/store/mediaQueries';
import { metricQueries } from '../../../src/store/metricQueries';
import { registryQueries } from '../../../src/store/registryQueries';
import { runQueries } from '../../../src/store/runQueries';
import { RunStore } from '../../../src/store/runStore';
import { STORE_QUERIES, isQueryName } from '../../../src/store/storeQueries';
import { StoreService, isStoreRequest } from '../../../src/store/storeService';
import { tableQueries } from '../../../src/store/tableQueries';

const SERVICE_CALLS = ['sync', 'snapshot', 'status'];

describe('store queries', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-queries-')), '.runlog');
    await mkdir(join(dir, 'runs', 'r1'), { recursive: true });
    const events = [
      { t: 'run_start', ts: 1, run_id: 'r1', name: 'bright-owl', experiment: 'prices' },
      { t: 'param', ts: 2, key: 'lr', value: '0.1' },
      { t: 'metric', ts: 3, key: 'loss', value: 0.5, step: 0 },
      { t: 'metric', ts: 4, key: 'loss', value: 0.25, step: 1 },
    ];
    await appendFile(join(dir, 'runs', 'r1', 'events.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('are named once: every room’s queries in one table, no name twice, none a service call', () => {
    const names = [runQueries, metricQueries, insightQueries, registryQueries, mediaQueries, tableQueries].flatMap(
      (room) => Object.keys(room),
    );
    assert.equal(new Set(names).size, names.length, 'a name in two rooms would hide one of them');
    assert.deepEqual(Object.keys(STORE_QUERIES).sort(), [...names].sort());
    for (const name of SERVICE_CALLS) assert.equal(isQueryName(name), false, name);
  });

  it('tell query names from inherited ones and from malformed requests', () => {
    assert.equal(isQueryName('getRun'), true);
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'close', 42]) {
      assert.equal(isQueryName(name), false, String(name));
    }
    assert.equal(isStoreRequest({ type: 'getRun', args: ['r1'] }), true);
    assert.equal(isStoreRequest({ type: 'sync', args: [] }), true);
    assert.equal(isStoreRequest({ type: 'toString', args: [] }), false);
    assert.equal(isStoreRequest({ type: 'close', args: [] }), false, 'the service’s other methods are not requests');
    assert.equal(isStoreRequest({ type: 'getRun' }), false);
    assert.equal(isStoreRequest(null), false);
  });

  it('are answered by name the same in this process (RunStore.query) and through the service (call)', async () => {
    const store = await RunStore.open({ dir, writer: false, version: 'test' });
    const service = await StoreService.start(
      { dir, version: 'test', pollMs: 60_000 },
      { changed: () => undefined, log: () => undefined },
    );
    try {
      assert.deepEqual(await service.call('getRun', 'r1'), store.query('getRun', 'r1'));
      assert.deepEqual(await service.call('params', ['r1']), [['r1', { lr: '0.1' }]]);
      assert.deepEqual(
        (await service.call('metricSummaries', ['r1', 'nobody'])).map(([id, list]) => [id, list.map((m) => m.last)]),
        [['r1', [0.25]]],
      );
      assert.deepEqual([...(await service.call('series', 'r1', 'loss')).values], [0.5, 0.25]);
      assert.equal((await service.call('status')).dir, dir);
      await assert.rejects(service.call('listRuns', { filter: 'metrics.loss <' }), /expected a value/);
    } finally {
      await service.close();
      store.close();
    }
  });
});
