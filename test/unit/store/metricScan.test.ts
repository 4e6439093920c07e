import * as assert from 'node:assert/strict';
import { parseEventLine } from '../../../src/store/eventParse';
import { decodeWireNumber } from '../../../src/store/events';
import { MetricBatch, scanMetricLine } from '../../../src/store/metricScan';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function scan(line: string): { ok: boolean; key?: string; step?: number; time?: number; value?: number } {
  const batch = new MetricBatch();
  const end = scanMetricLine(bytes(`${line}\n`), 0, Buffer.byteLength(line) + 1, batch);
  if (end === -1) return { ok: false };
  assert.equal(end, Buffer.byteLength(line), 'returns the index of the newline');
  const [key, columns] = [...batch.series][0] as [string, ReturnType<MetricBatch['series']['get']> & object];
  const view = columns.view();
  return { ok: true, key, step: view.steps[0], time: view.times[0], value: view.values[0] };
}

describe('the metric fast path', () => {
  it('reads the producers’ exact metric shape exactly as JSON.parse would', () => {
    const lines = [
      '{"t":"metric","ts":1732600000123,"key":"val/loss","value":0.25,"step":3}',
      '{"t":"metric","ts":1,"key":"acc","value":-1.5e-7,"step":0}',
      '{"t":"metric","ts":1,"key":"acc","value":"-Infinity","step":-4}',
      '{"t":"metric","ts":1,"key":"acc","value":"NaN","step":0}',
      '{"t":"metric","ts":1,"key":"ünïcode ключ","value":10,"step":9007199254740991}',
      '{"t":"metric","ts":-5,"key":"k","value":-0.0,"step":0}',
      '{"t":"metric","ts":1,"key":"k","value":1E+300,"step":1}',
      '{"t":"metric","ts":1,"key":"k","value":123456789012345678901234567890.5,"step":1}',
    ];
    for (const line of lines) {
      const fast = scan(line);
      assert.ok(fast.ok, line);
      const parsed = parseEventLine(line);
      assert.ok(parsed.ok && parsed.event.t === 'metric', line);
      assert.equal(fast.key, parsed.event.key);
      assert.equal(fast.step, parsed.event.step);
      assert.equal(fast.time, parsed.event.ts);
      assert.ok(Object.is(fast.value, decodeWireNumber((JSON.parse(line) as { value: unknown }).value)), line);
    }
  });

  it('converts every double exactly, whatever its number of digits', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) {
      const value = [random(), random() * 1e-8, (random() - 0.5) * 1e6, Math.round(random() * 1e6) / 1e3][i % 4];
      const text = String(value);
      const fast = scan(`{"t":"metric","ts":1,"key":"k","value":${text},"step":${i}}`);
      assert.ok(fast.ok && Object.is(fast.value, Number(text)), text);
    }
  });

  it('declines anything else, so the general parser can accept it or name the problem', () => {
    const declined = [
      '{"t":"metric","ts":1,"key":"a\\"b","value":1,"step":0}',
      '{"t":"metric","ts":1,"key":"a","value":1,"step":0,"extra":1}',
      '{"t":"metric","ts":1,"key":"a","value":0x10,"step":0}',
      '{"t":"metric","ts":1,"key":"a","value":"1","step":0}',
      '{"t":"metric","ts":1,"key":"a","value":1,"step":1.5}',
      '{"t":"metric","ts":1,"key":"a","value":01,"step":0}',
      '{"t":"metric","ts":1,"key":"","value":1,"step":0}',
      '{"t":"metric","ts":1,"key":"a","value":"NaN,"step":0}',
      '{"t":"metric","ts":1.5,"key":"a","value":1,"step":0}',
      '{"t":"metric","ts":1,"key":"a","value":1.,"step":0}',
      '{"t":"metric","ts":1,"key":"a","value":1,"step":99999999999999999999}',
      '{"t":"metric", "ts":1,"key":"a","value":1,"step":0}',
      '{"t":"metric","ts":1,"key":"a","value":1,"step":0} ',
    ];
    for (const line of declined) assert.equal(scan(line).ok, false, line);
  });

  it('gives a released batch’s columns to the next batch, which holds only its own points', () => {
    const first = new MetricBatch();
    for (let i = 0; i < 1000; i++) first.add('loss', i, 10 * i, i / 2);
    first.release();
    assert.equal(first.count, 0);
    assert.equal(first.series.size, 0);
    const next = new MetricBatch();
    next.addPoints({
      key: 'acc',
      steps: Float64Array.of(7, 8),
      times: Float64Array.of(70, 80),
      values: Float64Array.of(0.5, 0.75),
    });
    const columns = next.series.get('acc');
    // Spare columns are handed out largest first: at least the 1024 doubles released here.
    assert.ok((columns?.values.length ?? 0) >= 1024, 'released columns are filled again');
    assert.deepEqual(
      { ...columns?.view() },
      { steps: Float64Array.of(7, 8), times: Float64Array.of(70, 80), values: Float64Array.of(0.5, 0.75) },
    );
  });
});
