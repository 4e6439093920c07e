import * as assert from 'node:assert/strict';
import { scanLogBatch } from '../../../src/mlflow/batchScan';
import { parseJournalBuffer } from '../../../src/store/journal';

/** The points a journal text holds, per key, as [step, ts, value]. */
function points(lines: Uint8Array): Record<string, [number, number, number][]> {
  const chunk = parseJournalBuffer(lines);
  assert.deepEqual(chunk.malformed, []);
  assert.deepEqual(chunk.events, []);
  const out: Record<string, [number, number, number][]> = {};
  for (const [key, columns] of chunk.metrics.series) {
    const view = columns.view();
    out[key] = Array.from(view.values, (value, i) => [view.steps[i] ?? 0, view.times[i] ?? 0, value]);
  }
  return out;
}

/** What JSON.parse makes of the same body's metrics (the general path's reading). */
function expected(body: string, now: number): Record<string, [number, number, number][]> {
  const out: Record<string, [number, number, number][]> = {};
  for (const m of (JSON.parse(body) as { metrics: Record<string, unknown>[] }).metrics) {
    const raw = m['value'];
    const value = raw === 'NaN' ? NaN : raw === 'Infinity' ? Infinity : raw === '-Infinity' ? -Infinity : Number(raw);
    (out[m['key'] as string] ??= []).push([Number(m['step'] ?? 0), Number(m['timestamp'] ?? now), value]);
  }
  return out;
}

describe('log-batch fast path (batchScan)', () => {
  const now = 1_700_000_000_123;

  it('copies the points of plain bodies into journal lines the store reads as JSON.parse does', () => {
    const bodies = [
      // JSON.stringify's shape
      JSON.stringify({
        run_id: 'r1',
        metrics: Array.from({ length: 50 }, (_, i) => ({
          key: i % 2 ? 'loss' : 'acc',
          value: 1 / (i + 3),
          timestamp: 1_700_000_000_000 + i,
          step: i,
        })),
      }),
      // MLflow's client: requests' json= (", " and ": "), fields in proto order, NaN as a string
      '{"run_id": "r1", "metrics": [{"key": "loss", "value": 0.25, "timestamp": 1700000000000, "step": 3}, ' +
        '{"key": "loss", "value": "NaN", "timestamp": 1700000000001, "step": 4}, ' +
        '{"key": "val/acc", "value": "-Infinity", "timestamp": 1700000000002, "step": 5}], "params": [], "tags": []}',
      // pretty-printed, exponents, negatives, no timestamp or step
      '{\n  "metrics": [\n    {\n      "key": "lr",\n      "value": 1e-05\n    },\n    {"value": -2.5E+3, "key": "lr", "step": -7}\n  ],\n  "run_id": "r1"\n}',
      '{"metrics": [], "run_id": "r1"}',
    ];
    for (const body of bodies) {
      const scanned = scanLogBatch(Buffer.from(body), now);
      assert.ok(scanned, body);
      assert.deepEqual(points(Buffer.from(scanned.lines)), expected(body, now), body);
      assert.equal(scanned.metricCount, (JSON.parse(body) as { metrics: unknown[] }).metrics.length);
      assert.equal(scanned.fields['run_id'], 'r1');
      assert.ok(!('metrics' in scanned.fields));
    }
  });

  it('writes the exact line shape the journal scanner reads fast', () => {
    const scanned = scanLogBatch(
      Buffer.from('{"run_id": "r", "metrics": [{"key": "m", "value": 0.5, "timestamp": 12, "step": 3}]}'),
      now,
    );
    assert.equal(scanned?.lines.toString(), '{"t":"metric","ts":12,"key":"m","value":0.5,"step":3}\n');
  });

  it("writes a key's points as one batched line, and keeps the digits of a key with an int64 past 2^53", () => {
    const body =
      '{"run_id": "r", "metrics": [{"key": "loss", "value": 0.5, "timestamp": 12, "step": 1}, ' +
      '{"key": "big", "value": 1, "timestamp": 12, "step": 9007199254740993}, ' +
      '{"key": "loss", "value": "NaN", "timestamp": 13, "step": 2}, ' +
      '{"key": "big", "value": 2.5e-3, "timestamp": 14, "step": 9007199254740995}]}';
    const scanned = scanLogBatch(Buffer.from(body), now);
    const lines = scanned?.lines.split('\n') ?? [];
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? '', /^\{"t":"metrics","key":"loss","ts":\[12,1\],"step":\[1,1\],"value":"/);
    assert.equal(lines[1], '{"t":"metric","ts":12,"key":"big","value":1,"step":9007199254740993}');
    assert.equal(lines[2], '{"t":"metric","ts":14,"key":"big","value":2.5e-3,"step":9007199254740995}');
    assert.deepEqual(points(Buffer.from(scanned?.lines ?? '')), expected(body, now));
  });

  it('parses the other members as JSON, keeping long integers exact', () => {
    const scanned = scanLogBatch(
      Buffer.from(
        '{"run_id": "r", "params": [{"key": "n", "value": 9007199254740993}], "tags": [{"key": "é", "value": "ünï"}], "metrics": []}',
      ),
      now,
    );
    assert.deepEqual(scanned?.fields, {
      run_id: 'r',
      params: [{ key: 'n', value: '9007199254740993' }],
      tags: [{ key: 'é', value: 'ünï' }],
    });
  });

  it('leaves everything outside the plain shape to the general path', () => {
    const metric = (fields: string): string => `{"run_id": "r", "metrics": [{${fields}}]}`;
    for (const body of [
      metric('"key": "a\\u0062", "value": 1'),
      metric('"key": "é", "value": 1'),
      metric('"key": "", "value": 1'),
      metric(`"key": "${'k'.repeat(251)}", "value": 1`),
      metric('"key": "a", "value": "1.5"'),
      metric('"key": "a", "value": true'),
      metric('"key": "a", "value": -0.0'),
      metric('"key": "a", "value": -0'),
      metric('"key": "a", "value": 1e309'),
      metric('"key": "a", "value": 1, "step": 1.5'),
      metric('"key": "a", "value": 1, "step": 9223372036854775807'),
      metric('"key": "a", "value": 1, "timestamp": "12"'),
      metric('"key": "a", "value": 1, "model_id": "m-1"'),
      metric('"key": "a", "value": 1, "key": "b"'),
      metric('"value": 1'),
      metric('"key": "a", "value": 01'),
      '{"run_id": "r", "metrics": {}}',
      '{"run_id": "r", "run_id": "s", "metrics": []}',
      '{"run_id": "r", "metrics": [], "metrics": []}',
      '{"run_id": "r", "metrics": []} trailing',
      '{"run_id": "r", "metrics": [',
      '{"run_id": r}',
      '[]',
      '',
    ]) {
      assert.equal(scanLogBatch(Buffer.from(body), now), undefined, body);
    }
  });
});
