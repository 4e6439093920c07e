/**
 * A sparkline of a metric series as a small SVG: a line through each bucket's last value over a
 * band from its min to its max, and a dot on the final value. It is drawn from the store's
 * `buckets()` (min, max, last per bucket), so a million-point series costs the same as a short one.
 * Hovers show it as an image, where theme colors do not reach: the colors are fixed mid-tones that
 * read on light and dark themes alike.
 */

/** What `RunStore.buckets()` returns, or the part of it a sparkline reads. */
export interface SparkBuckets {
  readonly x: ArrayLike<number>;
  readonly min: ArrayLike<number>;
  readonly max: ArrayLike<number>;
  readonly last: ArrayLike<number>;
  readonly count: ArrayLike<number>;
}

export interface SparklineOptions {
  readonly width?: number;
  readonly height?: number;
  /** The line and dot color (any SVG color); the band is the same color, translucent. */
  readonly color?: string;
}

export const SPARKLINE_DEFAULTS = { width: 160, height: 32, color: '#3794ff' } as const;

const PAD = 2;

const fmt = (n: number): string => String(Math.round(n * 10) / 10);

/**
 * The SVG of a sparkline, or undefined when the buckets hold no finite value to draw. Buckets with
 * no points (count 0) leave gaps; non-finite values are skipped.
 */
export function sparklineSvg(buckets: SparkBuckets, options: SparklineOptions = {}): string | undefined {
  const width = options.width ?? SPARKLINE_DEFAULTS.width;
  const height = options.height ?? SPARKLINE_DEFAULTS.height;
  const color = escapeAttribute(options.color ?? SPARKLINE_DEFAULTS.color);
  const n = buckets.x.length;
  const used: number[] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let xlo = Number.POSITIVE_INFINITY;
  let xhi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (buckets.count[i] === 0 || !Number.isFinite(buckets.last[i]) || !Number.isFinite(buckets.x[i])) continue;
    used.push(i);
    for (const v of [buckets.min[i], buckets.max[i], buckets.last[i]]) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    xlo = Math.min(xlo, buckets.x[i]);
    xhi = Math.max(xhi, buckets.x[i]);
  }
  if (used.length === 0) return undefined;
  const px = (x: number): number => (xhi === xlo ? width / 2 : PAD + ((x - xlo) / (xhi - xlo)) * (width - 2 * PAD));
  // Higher values are higher up; a flat series is a line through the middle.
  const py = (v: number): number => (hi === lo ? height / 2 : PAD + ((hi - v) / (hi - lo)) * (height - 2 * PAD));
  const finiteOr = (v: number, fallback: number): number => (Number.isFinite(v) ? v : fallback);

  // Runs of consecutive used buckets: a gap (an empty bucket) breaks the line and the band.
  const segments: number[][] = [];
  for (const i of used) {
    const current = segments[segments.length - 1];
    if (current && current[current.length - 1] === i - 1) current.push(i);
    else segments.push([i]);
  }
  const parts: string[] = [];
  for (const segment of segments) {
    if (segment.length < 2) continue;
    const top = segment.map((i) => `${fmt(px(buckets.x[i]))},${fmt(py(finiteOr(buckets.max[i], buckets.last[i])))}`);
    const bottom = segment
      .slice()
      .reverse()
      .map((i) => `${fmt(px(buckets.x[i]))},${fmt(py(finiteOr(buckets.min[i], buckets.last[i])))}`);
    parts.push(`<polygon points="${[...top, ...bottom].join(' ')}" fill="${color}" fill-opacity="0.2" stroke="none"/>`);
    const line = segment.map((i) => `${fmt(px(buckets.x[i]))},${fmt(py(buckets.last[i]))}`).join(' ');
    parts.push(
      `<polyline points="${line}" fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>`,
    );
  }
  const end = used[used.length - 1];
  parts.push(`<circle cx="${fmt(px(buckets.x[end]))}" cy="${fmt(py(buckets.last[end]))}" r="2" fill="${color}"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/** A `data:` URI of an SVG image, base64-encoded so it survives inside a markdown link. */
export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
