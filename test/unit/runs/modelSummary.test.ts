import * as assert from 'node:assert/strict';
import { modelSummaryMarkdown } from '../../../src/runs/modelSummary';

describe('model summary', () => {
  const model = {
    name: 'model',
    flavor: 'sklearn',
    uuid: 'u-1',
    created: 0,
    signature: '{"inputs":[{"name":"rooms","type":"double"}]}',
    files: [
      { path: 'model/MLmodel', size: 300, sha256: 'ab'.repeat(32) },
      { path: 'model/model.pkl', size: 4096, sha256: 'cd'.repeat(32) },
    ],
  };

  it('reads like a page: URI, flavor, registry, pretty signature, files', () => {
    const page = modelSummaryMarkdown({ id: 'r1', name: 'bright-owl' }, model, [
      { name: 'house-prices', version: 3, aliases: ['champion'] },
    ]);
    assert.match(page, /^# Model model of run bright-owl$/m);
    assert.match(page, /URI: `runs:\/r1\/model`/);
    assert.match(page, /registered as: house-prices v3 @champion/);
    assert.match(page, /"name": "rooms"/);
    assert.match(page, /## Files \(2, 4\.3 KB\)/);
    assert.match(page, /\| model\/model\.pkl \| 4\.0 KB \| `cdcdcdcdcdcdcdcd…` \|/);
  });

  it('keeps user text from becoming markup', () => {
    const page = modelSummaryMarkdown(
      { id: 'r1', name: '<img src=x onerror=alert(1)>' },
      { ...model, signature: null },
      [],
    );
    assert.ok(!page.includes('<img'));
    assert.match(page, /not registered/);
    assert.match(page, /None was logged/);
  });
});
