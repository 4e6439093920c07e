import * as assert from 'node:assert/strict';
import { KeyedDebounce } from '../../../src/util/debounce';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyedDebounce', () => {
  it('fires once per key, after the last of a burst, each key on its own', async () => {
    const fired: string[] = [];
    const debounce = new KeyedDebounce();
    for (let i = 0; i < 5; i++) {
      debounce.schedule('a', 40, () => fired.push(`a${i}`));
      await sleep(10);
    }
    debounce.schedule('b', 40, () => fired.push('b'));
    assert.deepEqual(fired, [], 'nothing fires while the burst goes on');
    await sleep(80);
    assert.deepEqual(fired, ['a4', 'b']);
    debounce.dispose();
  });

  it('fires nothing for a cancelled key, or after dispose', async () => {
    const fired: string[] = [];
    const debounce = new KeyedDebounce();
    debounce.schedule('a', 20, () => fired.push('a'));
    debounce.schedule('b', 20, () => fired.push('b'));
    debounce.schedule('c', 20, () => fired.push('c'));
    debounce.cancel('a');
    await sleep(40);
    assert.deepEqual(fired, ['b', 'c']);
    debounce.schedule('a', 20, () => fired.push('a again'));
    debounce.dispose();
    await sleep(40);
    assert.deepEqual(fired, ['b', 'c']);
  });
});
