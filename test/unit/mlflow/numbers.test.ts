import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteBigIntegers } from '../../../src/mlflow/wire';
import type { Harness } from './endpointHarness';
import { harnessPerTest } from './endpointHarness';

describe('MLflow endpoint: numbers as MLflow takes them', () => {
  let h: Harness;
  let runId: string;
  harnessPerTest((made) => ({ h, runId } = made), { withRun: true });

  const journal = (): Promise<string> => readFile(join(h.dir, 'runs', runId, 'events.jsonl'), 'utf8');
  const logRawTo = (name: string, body: string) =>
    h.request(`/api/2.0/mlflow/${name}`, {
      method: 'POST',
      rawBody: body,
      headers: { 'Content-Type': 'application/json' },
    });
  const logRaw = (body: string) => logRawTo('runs/log-metric', body);

  it('takes JSON numbers, numbers written as strings, NaN and the infinities; refuses "0x10"', async () => {
    const log = (value: unknown) =>
      h.post('runs/log-metric', { run_id: runId, key: 'm', value, timestamp: 1, step: 0 });
    for (const value of [1.5, '2.5', '1e309', '-1e309', 'NaN', 'Infinity', '-Infinity', 0]) {
      assert.equal((await log(value)).status, 200, String(value));
    }
    for (const value of ['0x10', ' 1', '', 'inf', '1_000', true, null]) {
      const reply = await log(value);
      assert.equal(reply.status, 400, String(value));
      assert.equal(reply.body['error_code'], 'INVALID_PARAMETER_VALUE');
    }
    await h.store.syncJournals();
    const values = Array.from(h.store.query('series', runId, 'm').values);
    assert.deepEqual(values, [1.5, 2.5, Infinity, -Infinity, NaN, Infinity, -Infinity, 0]);
  });

  it('log-batch: a key whose steps a double cannot hold keeps metric lines with their digits', async () => {
    const big = '9007199254740993'; // 2^53 + 1
    const metrics = `[{"key":"b","value":1,"timestamp":5,"step":${big}},{"key":"b","value":2,"timestamp":6,"step":1},
      {"key":"n","value":-0.0,"timestamp":5,"step":0},{"key":"n","value":0.5,"timestamp":7,"step":1}]`;
    const reply = await logRawTo('runs/log-batch', `{"run_id":"${runId}","metrics":${metrics}}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const text = await journal();
    assert.match(
      text,
      new RegExp(`"ts":5,"key":"b","value":1,"step":${big}\\}\\n.*"ts":6,"key":"b","value":2,"step":1\\}`),
    );
    assert.match(text, /^\{"t":"metrics","key":"n","ts":\[5,2\],"step":\[0,1\],"value":"[^"]+"\}$/m);
    await h.store.syncJournals();
    assert.deepEqual(h.store.query('getRun', runId)?.rejected, []);
    const n = h.store.query('series', runId, 'n');
    assert.ok(Object.is(n.values[0], -0) && n.values[1] === 0.5, 'a batched line keeps -0.0');
    assert.deepEqual(Array.from(h.store.query('series', runId, 'b').steps), [9007199254740992, 1]);
  });

  it('keeps -0.0 a negative zero', async () => {
    assert.equal((await logRaw(`{"run_id":"${runId}","key":"z","value":-0.0,"timestamp":1,"step":0}`)).status, 200);
    assert.match(await journal(), /"key":"z","value":-0\.0,"step":0/);
    await h.store.syncJournals();
    assert.ok(Object.is(h.store.query('series', runId, 'z').values[0], -0));
  });

  it('takes any int64 step or timestamp, keeping its digits in the journal', async () => {
    const big = '9007199254740993'; // 2^53 + 1: a double cannot hold it
    const reply = await logRaw(`{"run_id":"${runId}","key":"s","value":1,"timestamp":${big},"step":${big}}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const asStrings = await h.post('runs/log-metric', {
      run_id: runId,
      key: 's',
      value: 2,
      timestamp: '9223372036854775807',
      step: '-9223372036854775808',
    });
    assert.equal(asStrings.status, 200);
    const text = await journal();
    assert.match(text, new RegExp(`"ts":${big},"key":"s","value":1,"step":${big}`));
    assert.match(text, /"ts":9223372036854775807,"key":"s","value":2,"step":-9223372036854775808/);
    const over = await h.post('runs/log-metric', { run_id: runId, key: 's', value: 3, step: '9223372036854775808' });
    assert.equal(over.status, 400);
    await h.store.syncJournals();
    assert.deepEqual(h.store.query('getRun', runId)?.rejected, []);
    assert.deepEqual(Array.from(h.store.query('series', runId, 's').steps), [2 ** 53, -(2 ** 63)]);
    const run = await logRawTo('runs/create', '{"experiment_id":"0","start_time":9007199254740993}');
    assert.equal(run.status, 200);
  });

  it('quotes only integer literals past 2^53, never inside strings', () => {
    assert.equal(quoteBigIntegers('{"a":1,"b":12345}'), '{"a":1,"b":12345}');
    assert.equal(
      quoteBigIntegers('{"s":"9007199254740993","n":9007199254740993,"f":9007199254740993.5,"e":-90071992547409930}'),
      '{"s":"9007199254740993","n":"9007199254740993","f":9007199254740993.5,"e":"-90071992547409930"}',
    );
    assert.equal(quoteBigIntegers('{"k\\"9007199254740993":1}'), '{"k\\"9007199254740993":1}');
  });
});
