import { EngineError } from '../errors';
import { computeIndicator, isPriceSource, priceSource } from '../indicators';
import type { CandleSeries, Condition, Operand, SignalSet, StrategyDefinition } from '../types';

/*
 * A comparison involving NaN (warm-up, missing data) is undefined: neither true nor false.
 * Rules are evaluated in Kleene's three-valued logic, and a signal fires only where its rule is
 * true. Instead of carrying three states per bar, each node is evaluated in one polarity:
 * "holds" (true) or "fails" (definitely false), both plain 0/1 arrays. `not` swaps the polarity,
 * `all` is AND when asked whether it holds and OR of failures when asked whether it fails (and
 * `any` the other way round), and a comparison fails when its negation holds with both operands
 * defined (gt(a, b) fails exactly where gte(b, a) holds). So `not` of an undefined comparison is
 * undefined too and never fires during warm-up.
 */

/**
 * Entry and exit signals of a definition that passed `validateStrategy`, over every bar of
 * `candles`. Each indicator is computed once; the value at bar i depends only on bars 0..i.
 * Throws EngineError INVALID_STRATEGY on references the definition does not declare.
 */
export function compileSignals(definition: StrategyDefinition, candles: CandleSeries): SignalSet {
  const compiler = new SignalCompiler(definition, candles);
  const exit = definition.exit ?? {};
  return {
    entryLong: compiler.rule(definition.entry.long),
    exitLong: compiler.rule(exit.long),
    entryShort: compiler.rule(definition.entry.short),
    exitShort: compiler.rule(exit.short),
  };
}

class SignalCompiler {
  private readonly length: number;
  private readonly indicators = new Map<string, Record<string, Float64Array>>();
  private readonly sources = new Map<string, Float64Array>();
  /** Scratch buffers by nesting level, so memory grows with depth, not with the number of conditions. */
  private readonly scratch: Uint8Array[] = [];

  constructor(
    private readonly definition: StrategyDefinition,
    private readonly candles: CandleSeries,
  ) {
    this.length = candles.close.length;
  }

  rule(condition: Condition | undefined): Uint8Array {
    const out = new Uint8Array(this.length);
    if (condition !== undefined) this.evaluate(condition, true, out, 0);
    return out;
  }

  /** Writes 1 where the condition holds (`holds`) or where it is defined and false (`!holds`). */
  private evaluate(condition: Condition, holds: boolean, out: Uint8Array, level: number): void {
    if ('all' in condition) return this.combine(condition.all, holds, holds, out, level);
    if ('any' in condition) return this.combine(condition.any, holds, !holds, out, level);
    if ('not' in condition) return this.evaluate(condition.not, !holds, out, level);
    if ('gt' in condition) return this.compare(condition.gt[0], condition.gt[1], false, holds, out);
    if ('gte' in condition) return this.compare(condition.gte[0], condition.gte[1], true, holds, out);
    if ('lt' in condition) return this.compare(condition.lt[1], condition.lt[0], false, holds, out);
    if ('lte' in condition) return this.compare(condition.lte[1], condition.lte[0], true, holds, out);
    if ('crossAbove' in condition) {
      return crossInto(this.operand(condition.crossAbove[0]), this.operand(condition.crossAbove[1]), holds, out);
    }
    if ('crossBelow' in condition) {
      return crossInto(this.operand(condition.crossBelow[1]), this.operand(condition.crossBelow[0]), holds, out);
    }
    throw new EngineError('INVALID_STRATEGY', `unknown condition ${JSON.stringify(condition)}`);
  }

  /** a > b (a >= b with `orEqual`); its failure is b >= a (b > a). */
  private compare(a: Operand, b: Operand, orEqual: boolean, holds: boolean, out: Uint8Array): void {
    if (holds) compareInto(this.operand(a), this.operand(b), orEqual, out);
    else compareInto(this.operand(b), this.operand(a), !orEqual, out);
  }

  /** AND (`and`) or OR of the children in the given polarity, the first written straight into `out`. */
  private combine(children: Condition[], holds: boolean, and: boolean, out: Uint8Array, level: number): void {
    if (children.length === 0) throw new EngineError('INVALID_STRATEGY', 'all/any needs at least one condition');
    this.evaluate(children[0], holds, out, level + 1);
    if (children.length === 1) return;
    const tmp = (this.scratch[level] ??= new Uint8Array(this.length));
    for (let c = 1; c < children.length; c++) {
      this.evaluate(children[c], holds, tmp, level + 1);
      if (and) for (let i = 0; i < out.length; i++) out[i] &= tmp[i];
      else for (let i = 0; i < out.length; i++) out[i] |= tmp[i];
    }
  }

  private operand(operand: Operand): Float64Array {
    if (typeof operand === 'number') return Float64Array.of(operand);
    if (isPriceSource(operand)) {
      let series = this.sources.get(operand);
      if (series === undefined) {
        series = priceSource(this.candles, operand);
        this.sources.set(operand, series);
      }
      return series;
    }
    const dot = operand.indexOf('.');
    const name = dot < 0 ? operand : operand.slice(0, dot);
    const output = dot < 0 ? 'value' : operand.slice(dot + 1);
    let outputs = this.indicators.get(name);
    if (outputs === undefined) {
      if (!Object.hasOwn(this.definition.indicators, name)) {
        throw new EngineError('INVALID_STRATEGY', `unknown indicator "${name}"`);
      }
      outputs = computeIndicator(this.definition.indicators[name], this.candles);
      this.indicators.set(name, outputs);
    }
    if (!Object.hasOwn(outputs, output)) {
      throw new EngineError('INVALID_STRATEGY', `indicator "${name}" has no output "${output}"`);
    }
    return outputs[output];
  }
}

/*
 * Operands are arrays: a series (length = bars) or a constant (length 1). The loops come in
 * two copies: plain indexing for two series (the common case, and the fast one) and indexing
 * with `i & mask`, mask -1 for a series and 0 for a constant, when a constant is involved.
 */
function maskOf(series: Float64Array, n: number): number {
  return series.length === n ? -1 : 0;
}

/** 1 where a > b (a >= b with `orEqual`), 0 elsewhere, including where either side is NaN. */
function compareInto(a: Float64Array, b: Float64Array, orEqual: boolean, out: Uint8Array): void {
  const n = out.length;
  const ma = maskOf(a, n);
  const mb = maskOf(b, n);
  if (ma === -1 && mb === -1) {
    if (orEqual) for (let i = 0; i < n; i++) out[i] = +(a[i] >= b[i]);
    else for (let i = 0; i < n; i++) out[i] = +(a[i] > b[i]);
  } else if (orEqual) {
    for (let i = 0; i < n; i++) out[i] = +(a[i & ma] >= b[i & mb]);
  } else {
    for (let i = 0; i < n; i++) out[i] = +(a[i & ma] > b[i & mb]);
  }
}

/**
 * `holds`: a crosses above b at bar i, a[i-1] < b[i-1] and a[i] > b[i].
 * `!holds`: the cross is defined and did not happen, a[i-1] >= b[i-1] or a[i] <= b[i].
 * Bar 0 has no previous bar: 0 in both polarities.
 */
function crossInto(a: Float64Array, b: Float64Array, holds: boolean, out: Uint8Array): void {
  const n = out.length;
  if (n === 0) return;
  out[0] = 0;
  const ma = maskOf(a, n);
  const mb = maskOf(b, n);
  if (ma === -1 && mb === -1) {
    if (holds) crossAboveSeries(a, b, out);
    else notCrossAboveSeries(a, b, out);
    return;
  }
  if (holds) {
    let below = +(a[0] < b[0]);
    for (let i = 1; i < n; i++) {
      const x = a[i & ma];
      const y = b[i & mb];
      out[i] = below & +(x > y);
      below = +(x < y);
    }
  } else {
    let notBelow = +(a[0] >= b[0]);
    for (let i = 1; i < n; i++) {
      const x = a[i & ma];
      const y = b[i & mb];
      out[i] = notBelow | +(x <= y);
      notBelow = +(x >= y);
    }
  }
}

function crossAboveSeries(a: Float64Array, b: Float64Array, out: Uint8Array): void {
  let below = +(a[0] < b[0]);
  for (let i = 1; i < out.length; i++) {
    const x = a[i];
    const y = b[i];
    out[i] = below & +(x > y);
    below = +(x < y);
  }
}

function notCrossAboveSeries(a: Float64Array, b: Float64Array, out: Uint8Array): void {
  let notBelow = +(a[0] >= b[0]);
  for (let i = 1; i < out.length; i++) {
    const x = a[i];
    const y = b[i];
    out[i] = notBelow | +(x <= y);
    notBelow = +(x >= y);
  }
}
