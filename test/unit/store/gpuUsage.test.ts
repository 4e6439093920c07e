import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/store/runStore';

const line = (event: object): string => `${JSON.stringify(event)}\n`;

describe('what runs used of their GPUs (gpuUsage)', () => {
  let dir: string;

  async function journal(runId: string, points: Record<string, (number | string)[]>): Promise<void> {
    await mkdir(join(dir, 'runs', runId), { recursive: true });
    let text = line({ t: 'run_start', ts: 1, run_id: runId, name: runId, experiment: 'e' });
    for (const [key, values] of Object.entries(points)) {
      values.forEach((value, step) => {
        text += line({ t: 'metric', ts: 10 + step, key, value, step });
      });
    }
    await appendFile(join(dir, 'runs', runId, 'events.jsonl'), text);
  }

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-gpu-')), '.runlog');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('gives each GPU its peak memory and the mean of its utilization samples, for the runs asked', async () => {
    await journal('two-gpus', {
      'system/gpu_0_utilization_percentage': [10, 'NaN', 50, 90],
      'system/gpu_0_memory_usage_megabytes': [1000, 10_240.5, 9000],
      'system/gpu_0_memory_usage_percentage': [6.1, 62.5, 55],
      'system/gpu_1_utilization_percentage': [100],
      'system/gpu_10_memory_usage_megabytes': [42],
      'system/gpu_0_power_usage_watts': [300],
      'system/cpu_utilization_percentage': [99],
      loss: [1, 0.5],
    });
    await journal('cpu-only', { 'system/cpu_utilization_percentage': [12], loss: [0.7] });
    await journal('not-asked', { 'system/gpu_0_utilization_percentage': [1] });
    // A key that merely looks like a GPU's (a user's own metric) is not one.
    await journal('lookalike', { 'system/gpu_x_utilization_percentage': [5], gpu_0_utilization_percentage: [5] });
    const store = await RunStore.open({ dir, writer: true, version: 'test' });
    try {
      await store.syncJournals();
      assert.deepEqual(store.query('gpuUsage', ['two-gpus', 'cpu-only', 'lookalike', 'missing']), [
        [
          'two-gpus',
          [
            // The NaN the sampler could not read does not count: (10 + 50 + 90) / 3.
            { index: 0, peakMemoryMegabytes: 10_240.5, peakMemoryPercentage: 62.5, meanUtilizationPercentage: 50 },
            { index: 1, peakMemoryMegabytes: null, peakMemoryPercentage: null, meanUtilizationPercentage: 100 },
            { index: 10, peakMemoryMegabytes: 42, peakMemoryPercentage: null, meanUtilizationPercentage: null },
          ],
        ],
      ]);
      assert.deepEqual(store.query('gpuUsage', []), []);
    } finally {
      store.close();
    }
  });

  it('follows a running run: the mean covers every point, across chunks', async () => {
    const first = Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? 0 : 100));
    await journal('long', { 'system/gpu_0_utilization_percentage': first });
    const store = await RunStore.open({ dir, writer: true, version: 'test' });
    try {
      await store.syncJournals();
      assert.equal(store.query('gpuUsage', ['long'])[0]?.[1][0]?.meanUtilizationPercentage, 50);
      // 1000 more samples at 100%: (3000 × 50 + 1000 × 100) / 4000.
      let more = '';
      for (let step = 3000; step < 4000; step++) {
        more += line({ t: 'metric', ts: step, key: 'system/gpu_0_utilization_percentage', value: 100, step });
      }
      await appendFile(join(dir, 'runs', 'long', 'events.jsonl'), more);
      await store.syncJournals();
      assert.equal(store.query('gpuUsage', ['long'])[0]?.[1][0]?.meanUtilizationPercentage, 62.5);
    } finally {
      store.close();
    }
  });
});
