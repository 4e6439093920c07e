import * as assert from 'node:assert/strict';
import { resolveStoreDir } from '../../../src/store/storeLocation';

describe('store location', () => {
  it('defaults to .runlog in the workspace folder', () => {
    assert.equal(resolveStoreDir('/work/project', undefined), '/work/project/.runlog');
    assert.equal(resolveStoreDir('/work/project', '  '), '/work/project/.runlog');
  });

  it('resolves a relative setting against the folder and keeps an absolute one', () => {
    assert.equal(resolveStoreDir('/work/project', 'tracking/store'), '/work/project/tracking/store');
    assert.equal(resolveStoreDir('/work/project', '../shared-store'), '/work/shared-store');
    assert.equal(resolveStoreDir('/work/project', '/var/runs/'), '/var/runs');
  });
});
