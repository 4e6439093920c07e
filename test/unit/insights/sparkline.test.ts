import * as assert from 'node:assert/strict';
import type { SparkBuckets } from '../../../src/insights/sparkline';
import { sparklineSvg, svgDataUri } from '../../../src/insights/sparkline';
import { bucketSeries } from '../../../src/store/bucketGrid';

function buckets(last: number[], spread = 0, count?: number[]): SparkBuckets {
  return {
    x: Float64Array.from(last, (_, i) => i),
    last: Float64Array.from(last),
    min: Float64Array.from(last, (v) => v - spread),
    max: Float64Array.from(last, (v) => v + spread),
    count: Uint32Array.from(count ?? last.map(() => 1)),
  };
}

/** The points of the SVG's elements, as numbers. */
function points(svg: string, element: 'polyline' | 'polygon'): [number, number][][] {
  return [...svg.matchAll(new RegExp(`<${element} points="([^"]*)"`, 'g'))].map((m) =>
    m[1].split(' ').map((p) => p.split(',').map(Number) as [number, number]),
  );
}

describe('sparklines', () => {
  it('draws the last values as a line, higher values higher up, across the whole width', () => {
    const svg = sparklineSvg(buckets([1, 3, 2]), { width: 104, height: 24 });
    assert.ok(svg);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="104" height="24" viewBox="0 0 104 24">/);
    const [line] = points(svg, 'polyline');
    assert.deepEqual(line, [
      [2, 22],
      [52, 2],
      [102, 12],
    ]);
    assert.match(svg, /<circle cx="102" cy="12" r="2"/, 'a dot on the final value');
  });

  it('shades the band between each bucket’s min and max', () => {
    const svg = sparklineSvg(buckets([1, 2], 1), { width: 104, height: 24 });
    assert.ok(svg);
    const [band] = points(svg, 'polygon');
    // max 2 then 3 along the top, then min 1 then 0 back along the bottom; the value range is 0..3.
    assert.deepEqual(
      band?.map(([, y]) => y),
      [8.7, 2, 15.3, 22],
    );
  });

  it('breaks the line at empty buckets and skips non-finite values', () => {
    const svg = sparklineSvg(buckets([1, 2, 0, 3, 4, Number.NaN], 0, [1, 1, 0, 1, 1, 1]));
    assert.ok(svg);
    const lines = points(svg, 'polyline');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.length === 2));
    assert.ok(lines.flat(2).every(Number.isFinite));
  });

  it('draws a flat series through the middle and a single point as a dot', () => {
    const flat = sparklineSvg(buckets([5, 5, 5]), { width: 100, height: 20 });
    assert.ok(flat);
    assert.ok(points(flat, 'polyline')[0]?.every(([, y]) => y === 10));
    const one = sparklineSvg(buckets([7]), { width: 100, height: 20 });
    assert.ok(one);
    assert.equal(points(one, 'polyline').length, 0);
    assert.match(one, /<circle cx="50" cy="10"/);
  });

  it('has nothing to draw for an empty or all-NaN series', () => {
    assert.equal(sparklineSvg(buckets([])), undefined);
    assert.equal(sparklineSvg(buckets([Number.NaN, Number.NaN])), undefined);
    assert.equal(sparklineSvg(buckets([1, 2], 0, [0, 0])), undefined);
  });

  it('draws straight from the store’s buckets of a long series', () => {
    const n = 100_000;
    const steps = new Float64Array(n);
    const times = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      steps[i] = i;
      times[i] = i;
      values[i] = 1 / (1 + i / 1000) + (i % 2) * 0.01;
    }
    const svg = sparklineSvg(bucketSeries({ steps, times, values }, 80));
    assert.ok(svg);
    const [line] = points(svg, 'polyline');
    assert.equal(line?.length, 80);
    assert.ok((line?.[0]?.[1] ?? 0) < (line?.[79]?.[1] ?? 0), 'a falling loss ends lower');
  });

  it('keeps the color attribute safe and makes a base64 data URI', () => {
    const svg = sparklineSvg(buckets([1, 2]), { color: '"/><script>' });
    assert.ok(svg && !svg.includes('<script>'));
    const uri = svgDataUri('<svg/>');
    assert.equal(uri, 'data:image/svg+xml;base64,PHN2Zy8+');
    assert.doesNotMatch(uri, /[()\s]/, 'nothing that would end a markdown link');
  });
});
