import {
  DEFAULT_SOURCE,
  INDICATOR_TYPES,
  MAX_PERIOD,
  PRICE_SOURCES,
  indicatorEntry,
  indicatorOutputs,
  isIndicatorType,
  isPriceSource,
  type ParamDef,
} from '../indicators';
import type {
  Condition,
  IndicatorSpec,
  IndicatorType,
  Operand,
  PriceSource,
  RiskSettings,
  SideRules,
  Sizing,
  StrategyDefinition,
  ValidationIssue,
  ValidationResult,
} from '../types';
import {
  CONDITION_OPS,
  INDICATOR_NAME_PATTERN,
  MAX_CONDITIONS,
  MAX_CONDITION_DEPTH,
  MAX_INDICATORS,
  isComparisonOp,
  isConditionOp,
} from './vocabulary';

type JsonObject = Record<string, unknown>;

const TOP_KEYS = ['version', 'indicators', 'entry', 'exit', 'risk', 'sizing', 'allowShort', 'reverseOnSignal'];
const SIDE_KEYS = ['long', 'short'];
const RISK_KEYS = ['stopLossPct', 'takeProfitPct', 'trailingStopPct', 'maxBarsInTrade'];
const SIZING_KEYS: Record<Sizing['type'], readonly string[]> = {
  equityFraction: ['type', 'fraction', 'wholeUnits'],
  fixedQuote: ['type', 'amount', 'wholeUnits'],
  fixedUnits: ['type', 'units'],
};
const PERIOD_MESSAGE = `must be an integer from 1 to ${MAX_PERIOD}`;
const PCT_MESSAGE = 'must be greater than 0 and less than 100';
const POSITIVE_MESSAGE = 'must be greater than 0';

/**
 * Validates a strategy definition (JSON, version 1) and returns every problem found, each with
 * the JSON path of the offending value; on success, the definition with every default filled.
 */
export function validateStrategy(input: unknown): ValidationResult {
  const validator = new Validator();
  const definition = validator.definition(input);
  if (validator.issues.length > 0 || definition === undefined) return { ok: false, errors: validator.issues };
  return { ok: true, definition };
}

/** One line per issue: `path: message` (`(root)` for the document itself). */
export function formatValidationIssues(errors: ValidationIssue[]): string {
  return errors.map((e) => `${e.path === '' ? '(root)' : e.path}: ${e.message}`).join('\n');
}

class Validator {
  readonly issues: ValidationIssue[] = [];
  /** Declared indicator names and their type; null when the type itself is invalid. */
  private readonly declared = new Map<string, IndicatorType | null>();
  private conditions = 0;

  private add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  definition(input: unknown): StrategyDefinition | undefined {
    if (!isObject(input)) {
      this.add('', `must be an object (got ${kind(input)})`);
      return undefined;
    }
    this.unknownKeys(input, '', TOP_KEYS);
    if (input.version === undefined) this.add('version', 'is required');
    else if (input.version !== 1) this.add('version', 'must be 1');

    const indicators = this.indicators(input.indicators);
    const allowShort = this.boolean(input, '', 'allowShort', false);
    const reverseOnSignal = this.boolean(input, '', 'reverseOnSignal', true);

    let entry: SideRules | undefined;
    if (input.entry === undefined) this.add('entry', 'is required');
    else {
      entry = this.sideRules(input.entry, 'entry');
      if (isObject(input.entry)) {
        if (input.entry.long === undefined && input.entry.short === undefined) {
          this.add('entry', 'needs at least one rule: long or short');
        }
        if (input.entry.short !== undefined && allowShort === false) {
          this.add('entry.short', 'short entry rules need "allowShort": true');
        }
      }
    }
    const exit = input.exit === undefined ? {} : this.sideRules(input.exit, 'exit');
    const risk = input.risk === undefined ? {} : this.risk(input.risk);
    const sizing: Sizing | undefined =
      input.sizing === undefined
        ? { type: 'equityFraction', fraction: 1, wholeUnits: false }
        : this.sizing(input.sizing, 'sizing');

    if (this.issues.length > 0) return undefined;
    if (!indicators || !entry || !exit || !risk || !sizing || allowShort === undefined) return undefined;
    if (reverseOnSignal === undefined) return undefined;
    return { version: 1, indicators, entry, exit, risk, sizing, allowShort, reverseOnSignal };
  }

  // -- indicators -----------------------------------------------------------------------------

  private indicators(raw: unknown): Record<string, IndicatorSpec> | undefined {
    if (raw === undefined) {
      this.add('indicators', 'is required');
      return undefined;
    }
    if (!isObject(raw)) {
      this.add('indicators', `must be an object mapping names to indicators (got ${kind(raw)})`);
      return undefined;
    }
    const names = Object.keys(raw);
    if (names.length > MAX_INDICATORS) this.add('indicators', `must declare at most ${MAX_INDICATORS} indicators`);
    const out: Record<string, IndicatorSpec> = {};
    let complete = true;
    for (const name of names) {
      const path = join('indicators', name);
      const nameOk = this.indicatorName(name, path);
      const { type, spec } = this.indicator(raw[name], path);
      if (nameOk) this.declared.set(name, type);
      if (nameOk && spec) out[name] = spec;
      else complete = false;
    }
    return complete ? out : undefined;
  }

  private indicatorName(name: string, path: string): boolean {
    if (name.includes('.')) {
      this.add(path, 'indicator names must not contain "." (it separates an indicator from its output)');
    } else if (isPriceSource(name)) {
      this.add(path, `"${name}" is a price field and cannot name an indicator`);
    } else if (name === '__proto__') {
      this.add(path, '"__proto__" is reserved');
    } else if (!INDICATOR_NAME_PATTERN.test(name)) {
      this.add(
        path,
        'indicator names must start with a letter or "_" and hold only letters, digits and "_" (at most 64 characters)',
      );
    } else {
      return true;
    }
    return false;
  }

  private indicator(raw: unknown, path: string): { type: IndicatorType | null; spec?: IndicatorSpec } {
    if (!isObject(raw)) {
      this.add(path, `must be an indicator object such as {"type": "sma", "period": 20} (got ${kind(raw)})`);
      return { type: null };
    }
    const type = raw.type;
    if (type === undefined) {
      this.add(join(path, 'type'), 'is required');
      return { type: null };
    }
    if (typeof type !== 'string' || !isIndicatorType(type)) {
      this.add(
        join(path, 'type'),
        `unknown indicator type ${JSON.stringify(type)}; expected one of ${INDICATOR_TYPES.join(', ')}`,
      );
      return { type: null };
    }
    const before = this.issues.length;
    const entry = indicatorEntry(type);
    this.unknownKeys(raw, path, indicatorKeys(type));
    const spec: Record<string, unknown> = { type };
    const values: Record<string, number> = {};
    for (const [key, def] of Object.entries(entry.params)) {
      if (raw[key] === undefined && def.default === undefined) {
        if (!def.optional) this.add(join(path, key), 'is required');
        continue;
      }
      const value = raw[key] === undefined ? def.default! : this.number(raw[key], join(path, key), paramRule(def));
      spec[key] = value;
      values[key] = value;
    }
    const problem = entry.check?.(values);
    if (problem) this.add(join(path, problem.key), problem.message);
    if (entry.source) spec.source = this.source(raw, path);
    return this.issues.length === before ? { type, spec: spec as IndicatorSpec } : { type };
  }

  /** A number that `rule` accepts; NaN when invalid. */
  private number(raw: unknown, path: string, rule: NumberRule): number {
    const n = this.finite(raw, path);
    if (n === undefined) return NaN;
    const problem = rule(n);
    if (problem === undefined) return n;
    this.add(path, problem);
    return NaN;
  }

  private source(raw: JsonObject, path: string): PriceSource {
    const value = raw.source;
    if (value === undefined) return DEFAULT_SOURCE;
    if (typeof value === 'string' && isPriceSource(value)) return value;
    this.add(join(path, 'source'), `must be one of ${PRICE_SOURCES.join(', ')}`);
    return DEFAULT_SOURCE;
  }

  // -- rules ----------------------------------------------------------------------------------

  private sideRules(raw: unknown, path: string): SideRules | undefined {
    if (!isObject(raw)) {
      this.add(path, `must be an object with "long" and/or "short" rules (got ${kind(raw)})`);
      return undefined;
    }
    this.unknownKeys(raw, path, SIDE_KEYS);
    const out: SideRules = {};
    if (raw.long !== undefined) out.long = this.condition(raw.long, join(path, 'long'), 1);
    if (raw.short !== undefined) out.short = this.condition(raw.short, join(path, 'short'), 1);
    return out;
  }

  private condition(raw: unknown, path: string, depth: number): Condition | undefined {
    if (depth > MAX_CONDITION_DEPTH) {
      this.add(path, `conditions must not be nested more than ${MAX_CONDITION_DEPTH} levels deep`);
      return undefined;
    }
    if (++this.conditions > MAX_CONDITIONS) {
      if (this.conditions === MAX_CONDITIONS + 1) {
        this.add(path, `a definition may hold at most ${MAX_CONDITIONS} conditions`);
      }
      return undefined;
    }
    if (!isObject(raw)) {
      this.add(path, `must be a condition object such as {"gt": ["close", 100]} (got ${kind(raw)})`);
      return undefined;
    }
    const keys = Object.keys(raw);
    const ops = keys.filter(isConditionOp);
    for (const key of keys) {
      if (!isConditionOp(key)) {
        this.add(join(path, key), `unknown operator; expected one of ${CONDITION_OPS.join(', ')}`);
      }
    }
    if (ops.length === 0) {
      if (keys.length === 0) this.add(path, `must hold one operator: ${CONDITION_OPS.join(', ')}`);
      return undefined;
    }
    if (ops.length > 1) {
      this.add(path, `must hold exactly one operator, found ${ops.join(', ')}`);
      return undefined;
    }
    const op = ops[0];
    const value = raw[op];
    const p = join(path, op);
    if (op === 'not') {
      const inner = this.condition(value, p, depth + 1);
      return inner && { not: inner };
    }
    if (op === 'all' || op === 'any') {
      if (!Array.isArray(value)) {
        this.add(p, `must be an array of conditions (got ${kind(value)})`);
        return undefined;
      }
      if (value.length === 0) {
        this.add(p, 'must contain at least one condition');
        return undefined;
      }
      const children: Condition[] = [];
      for (let i = 0; i < value.length && this.conditions <= MAX_CONDITIONS; i++) {
        const child = this.condition(value[i], `${p}[${i}]`, depth + 1);
        if (child) children.push(child);
      }
      if (children.length !== value.length) return undefined;
      return op === 'all' ? { all: children } : { any: children };
    }
    if (!isComparisonOp(op)) return undefined;
    if (!Array.isArray(value) || value.length !== 2) {
      this.add(p, 'must be an array of exactly 2 operands');
      return undefined;
    }
    const a = this.operand(value[0], `${p}[0]`);
    const b = this.operand(value[1], `${p}[1]`);
    if (typeof a === 'number' && typeof b === 'number') {
      this.add(p, 'compares two constants; at least one operand must be a price field or an indicator');
      return undefined;
    }
    if (a === undefined || b === undefined) return undefined;
    return { [op]: [a, b] } as Condition;
  }

  private operand(raw: unknown, path: string): Operand | undefined {
    if (typeof raw === 'number') {
      if (Number.isFinite(raw)) return raw;
      this.add(path, 'must be a finite number');
      return undefined;
    }
    if (typeof raw !== 'string') {
      this.add(path, `must be a number, a price field or an indicator reference (got ${kind(raw)})`);
      return undefined;
    }
    if (isPriceSource(raw)) return raw;
    const dot = raw.indexOf('.');
    const name = dot < 0 ? raw : raw.slice(0, dot);
    if (!this.declared.has(name)) {
      this.add(path, `unknown indicator "${name}"`);
      return undefined;
    }
    const type = this.declared.get(name);
    if (!type) return undefined;
    const outputs = indicatorOutputs(type);
    if (dot < 0) {
      if (outputs.length === 1) return raw;
      const choices = outputs.map((o) => `${name}.${o}`).join(', ');
      this.add(path, `indicator "${name}" has several outputs; use one of ${choices}`);
      return undefined;
    }
    const output = raw.slice(dot + 1);
    if (outputs.includes(output)) return raw;
    this.add(path, `indicator "${name}" has no output "${output}" (it has ${outputs.join(', ')})`);
    return undefined;
  }

  // -- risk and sizing ------------------------------------------------------------------------

  private risk(raw: unknown): RiskSettings | undefined {
    if (!isObject(raw)) {
      this.add('risk', `must be an object (got ${kind(raw)})`);
      return undefined;
    }
    this.unknownKeys(raw, 'risk', RISK_KEYS);
    const out: RiskSettings = {};
    for (const key of ['stopLossPct', 'takeProfitPct', 'trailingStopPct'] as const) {
      if (raw[key] === undefined) continue;
      const p = join('risk', key);
      const value = this.finite(raw[key], p);
      if (value === undefined) continue;
      if (value > 0 && value < 100) out[key] = value;
      else this.add(p, PCT_MESSAGE);
    }
    if (raw.maxBarsInTrade !== undefined) {
      const value = this.finite(raw.maxBarsInTrade, 'risk.maxBarsInTrade');
      if (value !== undefined) {
        if (Number.isSafeInteger(value) && value >= 1) out.maxBarsInTrade = value;
        else this.add('risk.maxBarsInTrade', 'must be an integer of at least 1');
      }
    }
    return out;
  }

  private sizing(raw: unknown, path: string): Sizing | undefined {
    if (!isObject(raw)) {
      this.add(path, `must be an object (got ${kind(raw)})`);
      return undefined;
    }
    const type = raw.type;
    if (type === undefined) {
      this.add(join(path, 'type'), 'is required');
      return undefined;
    }
    if (type !== 'equityFraction' && type !== 'fixedQuote' && type !== 'fixedUnits') {
      this.add(join(path, 'type'), 'must be one of equityFraction, fixedQuote, fixedUnits');
      return undefined;
    }
    this.unknownKeys(raw, path, SIZING_KEYS[type]);
    switch (type) {
      case 'equityFraction': {
        const fraction = this.positive(raw, path, 'fraction', 1);
        const wholeUnits = this.boolean(raw, path, 'wholeUnits', false);
        return fraction === undefined || wholeUnits === undefined ? undefined : { type, fraction, wholeUnits };
      }
      case 'fixedQuote': {
        const amount = this.positive(raw, path, 'amount', Infinity);
        const wholeUnits = this.boolean(raw, path, 'wholeUnits', false);
        return amount === undefined || wholeUnits === undefined ? undefined : { type, amount, wholeUnits };
      }
      case 'fixedUnits': {
        const units = this.positive(raw, path, 'units', Infinity);
        return units === undefined ? undefined : { type, units };
      }
    }
  }

  /** A required number in (0, max]. */
  private positive(raw: JsonObject, path: string, key: string, max: number): number | undefined {
    const p = join(path, key);
    if (raw[key] === undefined) {
      this.add(p, 'is required');
      return undefined;
    }
    const value = this.finite(raw[key], p);
    if (value === undefined) return undefined;
    if (value > 0 && value <= max) return value;
    this.add(p, max === Infinity ? POSITIVE_MESSAGE : `must be greater than 0 and at most ${max}`);
    return undefined;
  }

  // -- primitives -----------------------------------------------------------------------------

  private finite(value: unknown, path: string): number | undefined {
    if (typeof value !== 'number') {
      this.add(path, `must be a number (got ${kind(value)})`);
      return undefined;
    }
    if (!Number.isFinite(value)) {
      this.add(path, 'must be a finite number');
      return undefined;
    }
    return value;
  }

  private boolean(raw: JsonObject, path: string, key: string, fallback: boolean): boolean | undefined {
    const value = raw[key];
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.add(join(path, key), `must be a boolean (got ${kind(value)})`);
    return undefined;
  }

  private unknownKeys(raw: JsonObject, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(raw)) {
      if (!allowed.includes(key)) this.add(join(path, key), `unknown key; expected one of ${allowed.join(', ')}`);
    }
  }
}

/** Why a number does not fit a slot, or undefined when it does. */
type NumberRule = (n: number) => string | undefined;

const periodRule: NumberRule = (n) => (Number.isInteger(n) && n >= 1 && n <= MAX_PERIOD ? undefined : PERIOD_MESSAGE);

function paramRule(def: ParamDef): NumberRule {
  if (def.kind === 'period') return periodRule;
  const min = def.exclusiveMin ?? -Infinity;
  const max = def.max ?? Infinity;
  return (n) => (n > min && n <= max ? undefined : `must be greater than ${min} and at most ${max}`);
}

/** The keys an indicator object may hold, in the order the registry lists them. */
function indicatorKeys(type: IndicatorType): string[] {
  const entry = indicatorEntry(type);
  return ['type', ...Object.keys(entry.params), ...(entry.source ? ['source'] : [])];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function join(base: string, key: string): string {
  if (!IDENTIFIER.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base === '' ? key : `${base}.${key}`;
}
