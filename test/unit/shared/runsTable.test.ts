import * as assert from 'node:assert/strict';
import type { TableLayout, TableRun } from '../../../shared/runsTable';
import { DEFAULT_TABLE_LAYOUT, allColumns, csvValue, isTableLayout, visibleColumns } from '../../../shared/runsTable';
import { isTableHostMessage, isTableViewMessage } from '../../../shared/runsTableProtocol';

const KEYS = { params: ['lr', 'optimizer'], metrics: ['val_loss'], tags: ['team'] };

const run: TableRun = {
  id: 'r1',
  name: 'calm-fox',
  experiment: 'grid',
  status: 'FINISHED',
  startTime: Date.UTC(2024, 0, 2, 3, 4, 5),
  endTime: Date.UTC(2024, 0, 2, 3, 4, 5) + 1500,
  git: { commit: 'abc123', branch: 'main', dirty: true },
  pinned: false,
  deleted: false,
  parentRunId: null,
  params: { lr: '0.1' },
  metrics: { val_loss: { last: 0.1 + 0.2, min: 0.25, max: 0.9 } },
  tags: { team: 'vision' },
  note: 'n',
  sparks: {},
  children: 0,
  childMetrics: {},
};

describe('runs table model and protocol', () => {
  it('lays out columns: pinned first, then the user’s order, then the rest; hidden ones left out', () => {
    assert.deepEqual(allColumns(KEYS).slice(-6), [
      'spark.val_loss',
      'params.lr',
      'params.optimizer',
      'run.tags',
      'run.note',
      'tags.team',
    ]);
    const layout: TableLayout = {
      ...DEFAULT_TABLE_LAYOUT,
      pinned: ['metrics.val_loss'],
      order: ['params.lr'],
      hidden: ['git.commit', 'git.branch', 'git.dirty', 'run.experiment'],
      shown: ['tags.team'],
    };
    const shown = visibleColumns(KEYS, layout);
    assert.deepEqual(shown.slice(0, 3), ['metrics.val_loss', 'params.lr', 'run.status']);
    assert.ok(!shown.includes('git.commit') && shown.includes('tags.team') && !shown.includes('spark.val_loss'));
  });

  it('writes CSV values at full precision, times as ISO, durations in ms', () => {
    const goal = (): 'min' => 'min';
    assert.equal(csvValue('metrics.val_loss', run, DEFAULT_TABLE_LAYOUT, goal, 0), '0.30000000000000004');
    assert.equal(
      csvValue('metrics.val_loss', run, { ...DEFAULT_TABLE_LAYOUT, stats: { 'metrics.val_loss': 'best' } }, goal, 0),
      '0.25',
    );
    assert.equal(csvValue('run.start', run, DEFAULT_TABLE_LAYOUT, goal, 0), '2024-01-02T03:04:05.000Z');
    assert.equal(csvValue('run.duration', run, DEFAULT_TABLE_LAYOUT, goal, 0), '1500');
    assert.equal(csvValue('git.dirty', run, DEFAULT_TABLE_LAYOUT, goal, 0), 'true');
    assert.equal(csvValue('params.optimizer', run, DEFAULT_TABLE_LAYOUT, goal, 0), '');
  });

  it('refuses a malformed layout or message from either side', () => {
    assert.ok(isTableLayout(DEFAULT_TABLE_LAYOUT));
    assert.ok(!isTableLayout({ ...DEFAULT_TABLE_LAYOUT, sorts: [{ column: 'bogus', descending: true }] }));
    assert.ok(!isTableLayout({ ...DEFAULT_TABLE_LAYOUT, widths: { 'run.name': Number.NaN } }));
    assert.ok(!isTableLayout({ ...DEFAULT_TABLE_LAYOUT, group: 'params.' }));
    assert.ok(!isTableLayout({ ...DEFAULT_TABLE_LAYOUT, stats: { 'metrics.x': 'median' } }));
    assert.ok(isTableViewMessage({ type: 'command', command: 'runlog.compareRuns', runIds: ['a', 'b'] }));
    assert.ok(isTableViewMessage({ type: 'command', command: null, runIds: ['a'] }));
    assert.ok(!isTableViewMessage({ type: 'command', command: 'workbench.action.terminal.sendSequence', runIds: [] }));
    assert.ok(
      !isTableViewMessage({
        type: 'rows',
        version: 1,
        offset: -1,
        limit: 10,
        columns: { params: [], metrics: [], sparks: [] },
      }),
    );
    assert.ok(!isTableViewMessage({ type: 'filter', text: 'x'.repeat(100_001) }));
    assert.ok(!isTableViewMessage({ type: 'unknown' }));
    assert.ok(isTableViewMessage({ type: 'quickFilter', column: 'metrics.val_loss' }));
    assert.ok(isTableViewMessage({ type: 'quickFilter', column: 'params.lr' }));
    assert.ok(!isTableViewMessage({ type: 'quickFilter', column: 'run.name' }), 'only params and metrics');
    assert.ok(!isTableViewMessage({ type: 'quickFilter', column: 7 }));
    assert.ok(isTableHostMessage({ type: 'changed', version: 3 }));
    assert.ok(!isTableHostMessage({ type: 'select', runIds: [1], reveal: true }));
  });
});
