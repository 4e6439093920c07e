import * as assert from 'node:assert/strict';
import { RunTransitions } from '../../../src/runs/runTransitions';
import type { RunStatus } from '../../../src/store/events';

const seen = (id: string, status: RunStatus, deleted = false): { id: string; status: RunStatus; deleted: boolean } => ({
  id,
  status,
  deleted,
});

describe('run transitions', () => {
  it('reports runs that end after being seen running or queued, once', () => {
    const t = new RunTransitions();
    assert.deepEqual(t.update('s', [seen('a', 'QUEUED'), seen('b', 'FINISHED')]), [], 'b ended before we looked');
    assert.deepEqual(t.update('s', [seen('a', 'RUNNING')]), []);
    assert.deepEqual(
      t.update('s', [seen('a', 'FAILED')]).map((r) => r.id),
      ['a'],
    );
    assert.deepEqual(t.update('s', [seen('a', 'FAILED')]), [], 'not twice');
  });

  it('reports a run this window launched even when its first sighting is its end', () => {
    const t = new RunTransitions();
    t.expect('s', 'fast');
    assert.deepEqual(
      t.update('s', [seen('fast', 'FINISHED')]).map((r) => r.id),
      ['fast'],
    );
  });

  it('keeps stores apart and says nothing of deleted or forgotten runs', () => {
    const t = new RunTransitions();
    t.update('s1', [seen('a', 'RUNNING'), seen('b', 'RUNNING'), seen('c', 'RUNNING')]);
    assert.deepEqual(t.update('s2', [seen('a', 'FINISHED')]), []);
    assert.deepEqual(t.update('s1', [seen('b', 'FINISHED', true)]), []);
    t.forget('s1', ['c']);
    assert.deepEqual(t.update('s1', [seen('c', 'FINISHED')]), []);
    assert.deepEqual(
      t.update('s1', [seen('a', 'KILLED')]).map((r) => r.id),
      ['a'],
    );
  });
});
