/**
 * Exact decimal arithmetic for the gate's thresholds. A metric reads as the shortest decimal that
 * gives back its double (what the journal holds, what people see), and sums and products of those
 * are computed exactly: "rmse must drop by 0.1 from 0.3" passes at 0.2, where floating point
 * (0.3 - 0.1 = 0.19999999999999998) would fail it. MLflow's validation uses Python's Decimal for
 * the same reason.
 */

/** `coefficient × 10^exponent`. */
export interface Decimal {
  readonly coefficient: bigint;
  readonly exponent: number;
}

/** A finite number as the decimal its shortest text spells. */
export function toDecimal(value: number): Decimal {
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not a finite number`);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) throw new RangeError(`cannot read ${value} as a decimal`);
  const [, sign, whole, fraction = '', exp = '0'] = match;
  const digits = BigInt(`${whole}${fraction}`);
  return { coefficient: sign === '-' ? -digits : digits, exponent: Number(exp) - fraction.length };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const exponent = Math.min(a.exponent, b.exponent);
  return [
    a.coefficient * 10n ** BigInt(a.exponent - exponent),
    b.coefficient * 10n ** BigInt(b.exponent - exponent),
    exponent,
  ];
}

export function add(a: Decimal, b: Decimal): Decimal {
  const [x, y, exponent] = align(a, b);
  return { coefficient: x + y, exponent };
}

export function subtract(a: Decimal, b: Decimal): Decimal {
  const [x, y, exponent] = align(a, b);
  return { coefficient: x - y, exponent };
}

export function multiply(a: Decimal, b: Decimal): Decimal {
  return { coefficient: a.coefficient * b.coefficient, exponent: a.exponent + b.exponent };
}

/** -1, 0 or 1. */
export function compare(a: Decimal, b: Decimal): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The nearest double (for display: a difference of 0.3 and 0.1 shows as 0.2). */
export function toNumber(value: Decimal): number {
  return Number(`${value.coefficient}e${value.exponent}`);
}
