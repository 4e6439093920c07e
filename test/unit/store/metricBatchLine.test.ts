import * as assert from 'node:assert/strict';
import { parseJournalBuffer } from '../../../src/store/journal';
import { batchable, metricBatchLine } from '../../../src/store/metricBatchLine';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const read = (text: string): ReturnType<typeof parseJournalBuffer> => parseJournalBuffer(encode(text));
const doubles = (values: readonly number[]): string => {
  const bytes = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => bytes.writeDoubleLE(v, i * 8));
  return bytes.toString('base64');
};

describe('batched metric lines (journal format 4)', () => {
  it('read back every point of the documented line: differences undone, values exact to the bit', () => {
    const values = [0.1, 1 / 3, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324];
    const line = `{"t":"metrics","key":"loss","ts":[1732600000000,5,0,-2,7,1,1],"step":[-3,1,1,1,10,-4,1],"value":"${doubles(values)}"}\n`;
    const chunk = read(line);
    assert.deepEqual(chunk.malformed, []);
    const series = chunk.metrics.series.get('loss')?.view();
    assert.deepEqual(
      [...(series?.times ?? [])],
      [1732600000000, 1732600000005, 1732600000005, 1732600000003, 1732600000010, 1732600000011, 1732600000012],
    );
    assert.deepEqual([...(series?.steps ?? [])], [-3, -2, -1, 0, 10, 6, 7]);
    assert.deepEqual(
      [...(series?.values ?? [])].map((v) => (Object.is(v, -0) ? '-0' : String(v))),
      ['0.1', String(1 / 3), '-0', 'NaN', 'Infinity', '-Infinity', '5e-324'],
    );
    assert.equal(chunk.metrics.count, 7);
  });

  it('are what metricBatchLine writes, and mix with metric lines and other events', () => {
    const written = metricBatchLine('a "b" é', [0, 1, 2], [10, 10, 12], [1.5, 2.5, -0]);
    assert.match(
      written,
      /^\{"t":"metrics","key":"a \\"b\\" é","ts":\[10,0,2\],"step":\[0,1,1\],"value":"[A-Za-z0-9+/]+=*"\}\n$/,
    );
    const param = JSON.stringify({ t: 'param', ts: 1, key: 'lr', value: '0.1' });
    const single = '{"t":"metric","ts":13,"key":"a \\"b\\" é","value":7,"step":3}';
    const chunk = read(`${param}\n${written}${single}\n`);
    assert.deepEqual(chunk.malformed, []);
    assert.deepEqual(chunk.lines, [1]);
    assert.deepEqual([...(chunk.metrics.series.get('a "b" é')?.view().values ?? [])], [1.5, 2.5, -0, 7]);
    assert.equal(chunk.nextLine, 4);
  });

  it('are refused whole, with the line number and why, when they break a rule', () => {
    const good = doubles([1, 2]);
    const bad = [
      `{"t":"metrics","key":"","ts":[1,1],"step":[0,1],"value":"${good}"}`,
      `{"t":"metrics","key":"k","ts":[1,1,1],"step":[0,1,1],"value":"${good}"}`,
      `{"t":"metrics","key":"k","ts":[1,1],"step":[0],"value":"${good}"}`,
      `{"t":"metrics","key":"k","ts":[1,1.5],"step":[0,1],"value":"${good}"}`,
      `{"t":"metrics","key":"k","ts":[1,1],"step":[9007199254740991,1],"value":"${good}"}`,
      `{"t":"metrics","key":"k","ts":[1,1],"step":[0,1],"value":"not base64!"}`,
      `{"t":"metrics","key":"k","ts":[],"step":[],"value":""}`,
      `{"t":"metrics","key":"k","ts":1,"step":[0],"value":"${doubles([1])}"}`,
    ];
    const chunk = read(`${bad.join('\n')}\n`);
    assert.equal(chunk.metrics.count, 0, 'no point of a refused line is kept');
    assert.deepEqual(
      chunk.malformed.map((m) => m.line),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    for (const m of chunk.malformed) assert.match(m.reason, /^metrics: /);
    assert.match(chunk.malformed[1]?.reason ?? '', /holds 2 doubles, but "ts" lists 3 points/);
  });

  it('hold only steps and times whose every difference a double keeps exact', () => {
    assert.equal(batchable([0, 1, 2], [5, 6]), true);
    assert.equal(batchable([-(2 ** 53 - 1), 2 ** 53 - 1], [0]), false, 'a spread beyond 2^53');
    assert.equal(batchable([2n ** 60n], [0]), false, 'an int64 the endpoint received');
    assert.equal(batchable([0], [1.5]), false);
    assert.equal(batchable([], []), false);
  });
});
