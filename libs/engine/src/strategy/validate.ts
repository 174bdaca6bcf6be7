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
  ConstraintOp,
  IndicatorSpec,
  IndicatorType,
  Operand,
  ParamConstraint,
  ParamRef,
  ParamSpec,
  ParameterizedDefinition,
  PriceSource,
  RiskSettings,
  SideRules,
  Sizing,
  StrategyDefinition,
  ValidationIssue,
  ValidationResult,
} from '../types';
import { CONSTRAINT_OPS, brokenConstraint, defaultValues, isParamRef, substitute } from './param-values';
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
/** Where a number goes, a parameterized definition may hold a param reference. */
type Num = number | ParamRef;

/** The outcome of `validateStrategyDocument`: the definition as stored, params and refs kept. */
export type DocumentValidationResult =
  { ok: true; definition: ParameterizedDefinition } | { ok: false; errors: ValidationIssue[] };

const TOP_KEYS = [
  'version',
  'indicators',
  'entry',
  'exit',
  'risk',
  'sizing',
  'allowShort',
  'reverseOnSignal',
  'params',
  'constraints',
];
const PARAM_KEYS: Record<ParamSpec['type'], readonly string[]> = {
  int: ['type', 'default', 'min', 'max', 'step', 'description'],
  decimal: ['type', 'default', 'min', 'max', 'step', 'description'],
  choice: ['type', 'default', 'values', 'description'],
};
export const MAX_PARAMS = 32;
export const MAX_CONSTRAINTS = 32;
const MAX_CHOICES = 100;
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
 * the JSON path of the offending value; on success, the concrete definition that runs: every
 * default filled and, when it declares params, bound to their defaults.
 */
export function validateStrategy(input: unknown): ValidationResult {
  const result = checkDocument(input);
  return result.ok ? { ok: true, definition: result.concrete } : result;
}

/**
 * Validates a definition as it is stored: params and `{ "param": name }` references are kept,
 * every other default is filled. A definition with params must also be valid with their defaults
 * (problems are reported at the paths of the document) and the defaults must meet its constraints.
 */
export function validateStrategyDocument(input: unknown): DocumentValidationResult {
  const result = checkDocument(input);
  return result.ok ? { ok: true, definition: result.definition } : result;
}

type Checked =
  | { ok: true; definition: ParameterizedDefinition; concrete: StrategyDefinition }
  | { ok: false; errors: ValidationIssue[] };

function checkDocument(input: unknown): Checked {
  const validator = new Validator();
  const definition = validator.definition(input);
  if (validator.issues.length > 0 || definition === undefined) return { ok: false, errors: validator.issues };
  if (definition.params === undefined) return { ok: true, definition, concrete: definition as StrategyDefinition };
  const bound = checkBound(definition, defaultValues(definition.params), 'the defaults do not meet it: ');
  return bound.ok ? { ok: true, definition, concrete: bound.definition } : bound;
}

/**
 * The concrete definition for param values that fit their specs: the constraints are checked,
 * then the substituted definition is validated as any definition is (e.g. MACD fast < slow).
 */
export function checkBound(
  definition: ParameterizedDefinition,
  values: Record<string, number>,
  constraintPrefix = '',
): { ok: true; definition: StrategyDefinition } | { ok: false; errors: ValidationIssue[] } {
  const errors: ValidationIssue[] = [];
  (definition.constraints ?? []).forEach((constraint, i) => {
    const broken = brokenConstraint(constraint, values);
    if (broken !== undefined) errors.push({ path: `constraints[${i}]`, message: `${constraintPrefix}${broken}` });
  });
  if (errors.length > 0) return { ok: false, errors };
  const validator = new Validator();
  const concrete = validator.definition(substitute(definition, values));
  if (validator.issues.length > 0 || concrete === undefined) return { ok: false, errors: validator.issues };
  return { ok: true, definition: concrete as StrategyDefinition };
}

/** One line per issue: `path: message` (`(root)` for the document itself). */
export function formatValidationIssues(errors: ValidationIssue[]): string {
  return errors.map((e) => `${e.path === '' ? '(root)' : e.path}: ${e.message}`).join('\n');
}

class Validator {
  readonly issues: ValidationIssue[] = [];
  /** Declared indicator names and their type; null when the type itself is invalid. */
  private readonly declared = new Map<string, IndicatorType | null>();
  /** Declared params; null when the param's own spec is invalid (reported there). */
  private readonly params = new Map<string, ParamSpec | null>();
  private conditions = 0;

  private add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  definition(input: unknown): ParameterizedDefinition | undefined {
    if (!isObject(input)) {
      this.add('', `must be an object (got ${kind(input)})`);
      return undefined;
    }
    this.unknownKeys(input, '', TOP_KEYS);
    if (input.version === undefined) this.add('version', 'is required');
    else if (input.version !== 1) this.add('version', 'must be 1');

    const params = input.params === undefined ? {} : this.paramSpecs(input.params);
    const constraints = input.constraints === undefined ? [] : this.constraints(input.constraints);

    const indicators = this.indicators(input.indicators);
    const allowShort = this.boolean(input, '', 'allowShort', false);
    const reverseOnSignal = this.boolean(input, '', 'reverseOnSignal', true);

    let entry: SideRules<Num> | undefined;
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
    const sizing: Sizing<Num> | undefined =
      input.sizing === undefined
        ? { type: 'equityFraction', fraction: 1, wholeUnits: false }
        : this.sizing(input.sizing, 'sizing');

    if (this.issues.length > 0) return undefined;
    if (!indicators || !entry || !exit || !risk || !sizing || allowShort === undefined) return undefined;
    if (reverseOnSignal === undefined || !params || !constraints) return undefined;
    return {
      version: 1,
      ...(input.params === undefined ? {} : { params }),
      ...(input.constraints === undefined ? {} : { constraints }),
      indicators,
      entry,
      exit,
      risk,
      sizing,
      allowShort,
      reverseOnSignal,
    };
  }

  // -- params ---------------------------------------------------------------------------------

  private paramSpecs(raw: unknown): Record<string, ParamSpec> | undefined {
    if (!isObject(raw)) {
      this.add('params', `must be an object mapping names to params (got ${kind(raw)})`);
      return undefined;
    }
    const names = Object.keys(raw);
    if (names.length > MAX_PARAMS) this.add('params', `must declare at most ${MAX_PARAMS} params`);
    const out: Record<string, ParamSpec> = {};
    let complete = true;
    for (const name of names) {
      const path = join('params', name);
      let nameOk = false;
      if (name === '__proto__') this.add(path, '"__proto__" is reserved');
      else if (!INDICATOR_NAME_PATTERN.test(name)) {
        this.add(
          path,
          'param names must start with a letter or "_" and hold only letters, digits and "_" (at most 64 characters)',
        );
      } else nameOk = true;
      const spec = this.paramSpec(raw[name], path);
      if (nameOk) this.params.set(name, spec ?? null);
      if (nameOk && spec) out[name] = spec;
      else complete = false;
    }
    return complete ? out : undefined;
  }

  private paramSpec(raw: unknown, path: string): ParamSpec | undefined {
    if (!isObject(raw)) {
      this.add(
        path,
        `must be a param object such as {"type": "int", "default": 10, "min": 5, "max": 50} (got ${kind(raw)})`,
      );
      return undefined;
    }
    const type = raw.type;
    if (type === undefined) {
      this.add(join(path, 'type'), 'is required');
      return undefined;
    }
    if (type !== 'int' && type !== 'decimal' && type !== 'choice') {
      this.add(join(path, 'type'), 'must be one of int, decimal, choice');
      return undefined;
    }
    const before = this.issues.length;
    this.unknownKeys(raw, path, PARAM_KEYS[type]);
    let description: string | undefined;
    if (raw.description !== undefined) {
      if (typeof raw.description === 'string' && raw.description.length <= 200) description = raw.description;
      else this.add(join(path, 'description'), 'must be a string of at most 200 characters');
    }
    const annotated = description === undefined ? {} : { description };
    const required = (key: string): number | undefined => {
      if (raw[key] !== undefined) return this.finite(raw[key], join(path, key));
      this.add(join(path, key), 'is required');
      return undefined;
    };
    if (type === 'choice') {
      const values = this.choices(raw.values, join(path, 'values'));
      const fallback = required('default');
      if (values && fallback !== undefined && !values.includes(fallback)) {
        this.add(join(path, 'default'), 'must be one of the values');
      }
      if (this.issues.length > before || !values || fallback === undefined) return undefined;
      return { type, default: fallback, values, ...annotated };
    }
    const integer = (key: string, value: number | undefined) => {
      if (type === 'int' && value !== undefined && !Number.isSafeInteger(value)) {
        this.add(join(path, key), 'must be an integer');
        return undefined;
      }
      return value;
    };
    const fallback = integer('default', required('default'));
    const min = integer('min', required('min'));
    const max = integer('max', required('max'));
    const step = raw.step === undefined ? undefined : integer('step', this.finite(raw.step, join(path, 'step')));
    if (step !== undefined && !(step > 0)) this.add(join(path, 'step'), 'must be greater than 0');
    if (min !== undefined && max !== undefined && max < min) this.add(join(path, 'max'), 'must be ≥ min');
    else if (min !== undefined && max !== undefined && fallback !== undefined) {
      if (fallback < min || fallback > max) this.add(join(path, 'default'), 'must be from min to max');
      else if (step !== undefined && step > 0 && !onGrid(fallback, min, step)) {
        this.add(join(path, 'default'), `must be min plus a whole number of steps (${min} + k × ${step})`);
      }
    }
    if (this.issues.length > before || fallback === undefined || min === undefined || max === undefined) {
      return undefined;
    }
    return { type, default: fallback, min, max, ...(step === undefined ? {} : { step }), ...annotated };
  }

  private choices(raw: unknown, path: string): number[] | undefined {
    if (raw === undefined) {
      this.add(path, 'is required');
      return undefined;
    }
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_CHOICES) {
      this.add(path, `must be an array of 1 to ${MAX_CHOICES} numbers`);
      return undefined;
    }
    const values: number[] = [];
    raw.forEach((value, i) => {
      const n = this.finite(value, `${path}[${i}]`);
      if (n === undefined) return;
      if (values.includes(n)) this.add(`${path}[${i}]`, `repeats ${n}`);
      values.push(n);
    });
    return values.length === raw.length ? values : undefined;
  }

  private constraints(raw: unknown): ParamConstraint[] | undefined {
    if (!Array.isArray(raw) || raw.length > MAX_CONSTRAINTS) {
      this.add('constraints', `must be an array of at most ${MAX_CONSTRAINTS} constraints (got ${kind(raw)})`);
      return undefined;
    }
    const out: ParamConstraint[] = [];
    raw.forEach((item, i) => {
      const path = `constraints[${i}]`;
      const keys = isObject(item) ? Object.keys(item) : [];
      const op = keys[0] as ConstraintOp;
      if (!isObject(item) || keys.length !== 1 || !CONSTRAINT_OPS.includes(op)) {
        this.add(
          path,
          `must hold one operator of ${CONSTRAINT_OPS.join(', ')}, e.g. {"lt": [{"param": "fast"}, {"param": "slow"}]}`,
        );
        return;
      }
      const operands = item[op];
      const p = join(path, op);
      if (!Array.isArray(operands) || operands.length !== 2) {
        this.add(p, 'must be an array of exactly 2 operands');
        return;
      }
      const [a, b] = operands.map((o, k) => this.number(o, `${p}[${k}]`, ANY_NUMBER));
      if (typeof a === 'number' && typeof b === 'number') {
        if (!Number.isNaN(a) && !Number.isNaN(b))
          this.add(p, 'compares two constants; at least one operand must be a param');
        return;
      }
      if (isValid(a) && isValid(b)) out.push({ [op]: [a, b] } as ParamConstraint);
    });
    return out.length === raw.length ? out : undefined;
  }

  // -- indicators -----------------------------------------------------------------------------

  private indicators(raw: unknown): Record<string, IndicatorSpec<Num>> | undefined {
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
    const out: Record<string, IndicatorSpec<Num>> = {};
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

  private indicator(raw: unknown, path: string): { type: IndicatorType | null; spec?: IndicatorSpec<Num> } {
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
      // A param's values are checked against each other once bound (the defaults by checkBound).
      values[key] = typeof value === 'number' ? value : NaN;
    }
    const problem = entry.check?.(values);
    if (problem) this.add(join(path, problem.key), problem.message);
    if (entry.source) spec.source = this.source(raw, path);
    return this.issues.length === before ? { type, spec: spec as IndicatorSpec<Num> } : { type };
  }

  /**
   * A number that `rule` accepts, or a reference to a declared param whose every value it
   * accepts; NaN when invalid.
   */
  private number(raw: unknown, path: string, rule: NumberRule): Num {
    if (isObject(raw)) return this.paramRef(raw, path, rule) ?? NaN;
    const n = this.finite(raw, path);
    if (n === undefined) return NaN;
    const problem = rule.check(n);
    if (problem === undefined) return n;
    this.add(path, problem);
    return NaN;
  }

  private paramRef(raw: JsonObject, path: string, rule: NumberRule): ParamRef | undefined {
    if (!isParamRef(raw)) {
      this.add(path, 'must be a number or a param reference such as {"param": "fast"}');
      return undefined;
    }
    const name = raw.param;
    if (!this.params.has(name)) {
      const known = [...this.params.keys()];
      this.add(path, `unknown param "${name}"${known.length > 0 ? ` (declared: ${known.join(', ')})` : ''}`);
      return undefined;
    }
    const spec = this.params.get(name);
    if (!spec) return undefined;
    if (rule.integer && spec.type === 'decimal') {
      this.add(path, `param "${name}" is a decimal; this needs an int or a choice of integers`);
      return undefined;
    }
    const probes: Array<[number, string]> =
      spec.type === 'choice'
        ? spec.values.map((v) => [v, 'one of its values'])
        : [
            [spec.min, 'its min'],
            [spec.max, 'its max'],
          ];
    for (const [value, label] of probes) {
      const problem = rule.check(value);
      if (problem !== undefined) {
        this.add(path, `param "${name}" may be ${value} (${label}), and this ${problem}`);
        return undefined;
      }
    }
    return { param: name };
  }

  private source(raw: JsonObject, path: string): PriceSource {
    const value = raw.source;
    if (value === undefined) return DEFAULT_SOURCE;
    if (typeof value === 'string' && isPriceSource(value)) return value;
    this.add(join(path, 'source'), `must be one of ${PRICE_SOURCES.join(', ')}`);
    return DEFAULT_SOURCE;
  }

  // -- rules ----------------------------------------------------------------------------------

  private sideRules(raw: unknown, path: string): SideRules<Num> | undefined {
    if (!isObject(raw)) {
      this.add(path, `must be an object with "long" and/or "short" rules (got ${kind(raw)})`);
      return undefined;
    }
    this.unknownKeys(raw, path, SIDE_KEYS);
    const out: SideRules<Num> = {};
    if (raw.long !== undefined) out.long = this.condition(raw.long, join(path, 'long'), 1);
    if (raw.short !== undefined) out.short = this.condition(raw.short, join(path, 'short'), 1);
    return out;
  }

  private condition(raw: unknown, path: string, depth: number): Condition<Num> | undefined {
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
      const children: Condition<Num>[] = [];
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
    const constant = (x: Operand<Num> | undefined) => typeof x === 'number' || isParamRef(x);
    if (constant(a) && constant(b)) {
      this.add(p, 'compares two constants; at least one operand must be a price field or an indicator');
      return undefined;
    }
    if (a === undefined || b === undefined) return undefined;
    return { [op]: [a, b] } as Condition<Num>;
  }

  private operand(raw: unknown, path: string): Operand<Num> | undefined {
    if (typeof raw === 'number') {
      if (Number.isFinite(raw)) return raw;
      this.add(path, 'must be a finite number');
      return undefined;
    }
    if (isObject(raw)) return this.paramRef(raw, path, ANY_NUMBER);
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

  private risk(raw: unknown): RiskSettings<Num> | undefined {
    if (!isObject(raw)) {
      this.add('risk', `must be an object (got ${kind(raw)})`);
      return undefined;
    }
    this.unknownKeys(raw, 'risk', RISK_KEYS);
    const out: RiskSettings<Num> = {};
    for (const key of ['stopLossPct', 'takeProfitPct', 'trailingStopPct'] as const) {
      if (raw[key] === undefined) continue;
      const value = this.number(raw[key], join('risk', key), PCT_RULE);
      if (isValid(value)) out[key] = value;
    }
    if (raw.maxBarsInTrade !== undefined) {
      const value = this.number(raw.maxBarsInTrade, 'risk.maxBarsInTrade', MAX_BARS_RULE);
      if (isValid(value)) out.maxBarsInTrade = value;
    }
    return out;
  }

  private sizing(raw: unknown, path: string): Sizing<Num> | undefined {
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
  private positive(raw: JsonObject, path: string, key: string, max: number): Num | undefined {
    const p = join(path, key);
    if (raw[key] === undefined) {
      this.add(p, 'is required');
      return undefined;
    }
    const message = max === Infinity ? POSITIVE_MESSAGE : `must be greater than 0 and at most ${max}`;
    const value = this.number(raw[key], p, { check: (n) => (n > 0 && n <= max ? undefined : message) });
    return isValid(value) ? value : undefined;
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

/** What a number slot accepts: `check` says why a number does not fit, `integer` that only integers can. */
interface NumberRule {
  check: (n: number) => string | undefined;
  integer?: boolean;
}

const ANY_NUMBER: NumberRule = { check: () => undefined };
const PERIOD_RULE: NumberRule = {
  integer: true,
  check: (n) => (Number.isInteger(n) && n >= 1 && n <= MAX_PERIOD ? undefined : PERIOD_MESSAGE),
};
const PCT_RULE: NumberRule = { check: (n) => (n > 0 && n < 100 ? undefined : PCT_MESSAGE) };
const MAX_BARS_RULE: NumberRule = {
  integer: true,
  check: (n) => (Number.isSafeInteger(n) && n >= 1 ? undefined : 'must be an integer of at least 1'),
};

function paramRule(def: ParamDef): NumberRule {
  if (def.kind === 'period') return PERIOD_RULE;
  const min = def.exclusiveMin ?? -Infinity;
  const max = def.max ?? Infinity;
  return { check: (n) => (n > min && n <= max ? undefined : `must be greater than ${min} and at most ${max}`) };
}

/** A slot's value that passed: a number that is not NaN, or a param reference. */
function isValid(value: Num | undefined): value is Num {
  return value !== undefined && (typeof value !== 'number' || !Number.isNaN(value));
}

/** Whether `value` is `min + k × step` for a whole k, up to the rounding of decimal steps. */
export function onGrid(value: number, min: number, step: number): boolean {
  const k = (value - min) / step;
  return Math.abs(k - Math.round(k)) <= 1e-9 * Math.max(1, Math.abs(k));
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
