import * as assert from 'node:assert/strict';
import { throttled } from '../../../src/util/throttle';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('throttled', () => {
  it('fires at once after a quiet spell, then at most once per interval, and after the last call', async () => {
    const fired: number[] = [];
    const start = Date.now();
    const notify = throttled(() => fired.push(Date.now() - start), 100);
    notify();
    await sleep(20);
    assert.equal(fired.length, 1, 'the first call fires without waiting');
    // A burst of calls for about 250 ms: they fold into one call per 100 ms, and one after the last.
    let lastCall = 0;
    for (let i = 0; i < 25; i++) {
      notify();
      lastCall = Date.now() - start;
      await sleep(10);
    }
    await sleep(150);
    assert.ok(fired.length >= 3, `fired ${fired.length} times: ${fired.join(', ')}`);
    for (let i = 1; i < fired.length; i++) {
      assert.ok((fired[i] ?? 0) - (fired[i - 1] ?? 0) >= 95, `fired at ${fired.join(', ')}`);
    }
    assert.ok((fired[fired.length - 1] ?? 0) >= lastCall, 'the last call is followed by a fire');
    const count = fired.length;
    await sleep(150);
    assert.equal(fired.length, count, 'nothing fires without calls');
    notify.dispose();
  });

  it('fires nothing pending after dispose', async () => {
    let fired = 0;
    const notify = throttled(() => fired++, 50);
    notify();
    await sleep(10);
    notify();
    notify.dispose();
    await sleep(80);
    assert.equal(fired, 1);
  });
});
