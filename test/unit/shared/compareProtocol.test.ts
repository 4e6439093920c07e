import * as assert from 'node:assert/strict';
import {
  isCompareHostMessage,
  isComparePanelState,
  isCompareSnapshot,
  isCompareWebviewMessage,
} from '../../../shared/compareProtocol';
import { compareRun, environment, metric, snapshotOf } from './compareFixture';

describe('compare protocol', () => {
  const snapshot = snapshotOf(
    [
      compareRun('a', {
        params: { lr: '0.1' },
        metrics: [metric('loss', 0.5, null, 1)],
        git: { commit: 'abc', branch: null, dirty: true },
        environment: environment({ numpy: '1.26.4' }),
        gpus: [{ index: 0, peakMemoryMegabytes: 1000, peakMemoryPercentage: null, meanUtilizationPercentage: 50 }],
      }),
      compareRun('b', { durationMs: null, remote: 'https://mlflow.team.example', note: '**best**' }),
    ],
    { loss: 'min' },
  );

  it('accepts a well-formed snapshot, also after a JSON round trip', () => {
    assert.ok(isCompareHostMessage({ type: 'snapshot', snapshot }));
    assert.ok(isCompareHostMessage(JSON.parse(JSON.stringify({ type: 'snapshot', snapshot }))));
  });

  it('rejects snapshots with a wrong field anywhere', () => {
    const broken: unknown[] = [
      { ...snapshot, runs: [{ ...snapshot.runs[0], params: { lr: 0.1 } }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], metrics: [{ key: 'loss', last: '1', min: 0, max: 1, count: 1 }] }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], metrics: [{ key: 'loss', last: 1, min: 0, max: 1, count: -1 }] }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], git: { commit: 'abc', branch: null, dirty: 'yes' } }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], name: undefined }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], environment: { ...environment({}), packages: { numpy: 1 } } }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], environment: undefined }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], gpus: [{ index: -1 }] }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], gpus: undefined }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], remote: 7 }] },
      { ...snapshot, runs: [{ ...snapshot.runs[0], note: null }] },
      { ...snapshot, goals: { loss: 'lowest' } },
      { ...snapshot, missing: [1] },
      { ...snapshot, runs: 'a,b' },
      null,
      [],
    ];
    for (const value of broken) assert.equal(isCompareSnapshot(value), false, JSON.stringify(value));
    assert.equal(isCompareHostMessage({ type: 'snapshots', snapshot }), false);
  });

  it('accepts each webview intent and nothing else', () => {
    const valid: unknown[] = [
      { type: 'ready' },
      { type: 'diffCode', left: 'a', right: 'b' },
      { type: 'export', format: 'markdown', destination: 'save', onlyDifferences: true },
      { type: 'export', format: 'csv', destination: 'document', onlyDifferences: false },
      { type: 'removeRun', runId: 'a' },
      {
        type: 'rendered',
        report: {
          runIds: ['a'],
          differing: ['params.lr'],
          rows: 3,
          bestCells: 1,
          elements: 40,
          images: 0,
          notes: [''],
        },
      },
    ];
    for (const value of valid) assert.ok(isCompareWebviewMessage(value), JSON.stringify(value));
    const invalid: unknown[] = [
      { type: 'diffCode', left: 'a' },
      { type: 'export', format: 'html', destination: 'save', onlyDifferences: true },
      { type: 'export', format: 'csv', destination: 'email', onlyDifferences: true },
      { type: 'export', format: 'csv', destination: 'save' },
      { type: 'removeRun', runId: 7 },
      {
        type: 'rendered',
        report: { runIds: ['a'], differing: [], rows: 1.5, bestCells: 0, elements: 0, images: 0, notes: [] },
      },
      { type: 'eval', code: 'alert(1)' },
      'ready',
      null,
    ];
    for (const value of invalid) assert.equal(isCompareWebviewMessage(value), false, JSON.stringify(value));
  });

  it('knows a saved panel state from anything else', () => {
    assert.ok(isComparePanelState({ runIds: ['a', 'b'], onlyDifferences: true, plotMetric: 'loss' }));
    assert.ok(isComparePanelState({ runIds: [] }));
    assert.equal(isComparePanelState({ runIds: 'a' }), false);
    assert.equal(isComparePanelState({ runIds: ['a'], onlyDifferences: 'yes' }), false);
    assert.equal(isComparePanelState(undefined), false);
  });
});
