import { INDICATOR_TYPES, PRICE_SOURCES } from '../indicators';
import { strategyJsonSchema } from './json-schema';
import { strategyTemplates } from './templates';
import { validateStrategy } from './validate';
import { COMPARISON_OPS } from './vocabulary';

/** What JSON.parse gives: the schema and the documents are walked as untyped JSON. */
type ParsedJson = ReturnType<typeof JSON.parse>;
type Schema = ParsedJson;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples']);

/**
 * A small JSON Schema 2020-12 checker for exactly the keywords the published schema uses. It
 * throws on any other keyword, so the schema cannot grow a keyword this test silently ignores.
 * Returns the first problem found, or undefined.
 */
function check(schema: Schema, value: unknown, root: ParsedJson, at = '$'): string | undefined {
  if (schema === true) return undefined;
  if (schema === false) return `${at}: not allowed`;
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  for (const [keyword, arg] of Object.entries<ParsedJson>(schema)) {
    let problem: string | undefined;
    switch (keyword) {
      case '$ref': {
        const name = String(arg).replace('#/$defs/', '');
        if (!(name in root.$defs)) throw new Error(`unresolved $ref ${arg}`);
        problem = check(root.$defs[name], value, root, at);
        break;
      }
      case 'type': {
        const ok = {
          object: isObject,
          array: Array.isArray(value),
          string: typeof value === 'string',
          number: typeof value === 'number' && Number.isFinite(value),
          integer: Number.isInteger(value),
          boolean: typeof value === 'boolean',
        }[arg as string];
        if (ok === undefined) throw new Error(`unsupported type ${arg}`);
        if (!ok) problem = `${at}: not ${arg}`;
        break;
      }
      case 'const':
        if (value !== arg) problem = `${at}: not ${JSON.stringify(arg)}`;
        break;
      case 'enum':
        if (!(arg as unknown[]).includes(value)) problem = `${at}: not in enum`;
        break;
      case 'oneOf': {
        const passing = (arg as Schema[]).filter((s) => check(s, value, root, at) === undefined).length;
        if (passing !== 1) problem = `${at}: matches ${passing} of oneOf`;
        break;
      }
      case 'not':
        if (check(arg, value, root, at) === undefined) problem = `${at}: matches not`;
        break;
      case 'required':
        if (isObject) {
          const missing = (arg as string[]).find((k) => !Object.hasOwn(value, k));
          if (missing) problem = `${at}.${missing}: required`;
        }
        break;
      case 'properties':
        if (isObject) {
          for (const [k, s] of Object.entries(arg as Record<string, Schema>)) {
            if (Object.hasOwn(value, k)) problem ??= check(s, (value as ParsedJson)[k], root, `${at}.${k}`);
          }
        }
        break;
      case 'additionalProperties':
        if (isObject) {
          const known = Object.keys(schema.properties ?? {});
          for (const k of Object.keys(value)) {
            if (!known.includes(k)) problem ??= check(arg, (value as ParsedJson)[k], root, `${at}.${k}`);
          }
        }
        break;
      case 'propertyNames':
        if (isObject) for (const k of Object.keys(value)) problem ??= check(arg, k, root, `${at}[${k}]`);
        break;
      case 'minProperties':
      case 'maxProperties':
        if (isObject) {
          const count = Object.keys(value).length;
          if (keyword === 'minProperties' ? count < arg : count > arg) problem = `${at}: ${keyword}`;
        }
        break;
      case 'prefixItems':
        if (Array.isArray(value)) {
          (arg as Schema[]).forEach((s, i) => {
            if (i < value.length) problem ??= check(s, value[i], root, `${at}[${i}]`);
          });
        }
        break;
      case 'items':
        if (Array.isArray(value)) {
          const from = schema.prefixItems?.length ?? 0;
          for (let i = from; i < value.length; i++) problem ??= check(arg, value[i], root, `${at}[${i}]`);
        }
        break;
      case 'minItems':
        if (Array.isArray(value) && value.length < arg) problem = `${at}: minItems`;
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        if (typeof value === 'number') {
          const ok = {
            minimum: value >= arg,
            maximum: value <= arg,
            exclusiveMinimum: value > arg,
            exclusiveMaximum: value < arg,
          }[keyword];
          if (!ok) problem = `${at}: ${keyword} ${arg}`;
        }
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(arg as string, 'u').test(value)) problem = `${at}: pattern`;
        break;
      case '$defs':
        break;
      default:
        if (!ANNOTATIONS.has(keyword)) throw new Error(`keyword ${keyword} is not supported by this checker`);
    }
    if (problem) return problem;
  }
  return undefined;
}

const schema: ParsedJson = JSON.parse(JSON.stringify(strategyJsonSchema));
const validate = (value: unknown) => check(schema, value, schema);

describe('strategyJsonSchema', () => {
  it('is plain JSON in draft 2020-12', () => {
    expect(schema).toEqual(strategyJsonSchema);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('lists every indicator type', () => {
    const types = schema.$defs.indicator.oneOf.flatMap(
      (s: ParsedJson) => s.properties.type.enum ?? [s.properties.type.const],
    );
    expect([...types].sort()).toEqual([...INDICATOR_TYPES].sort());
  });

  it('lists every comparison and logical operator', () => {
    const ops = schema.$defs.condition.oneOf.flatMap((s: ParsedJson) => s.required);
    expect([...ops].sort()).toEqual(['all', 'any', 'not', ...COMPARISON_OPS].sort());
  });

  it('lists every price source', () => {
    expect(schema.$defs.source.enum).toEqual([...PRICE_SOURCES]);
  });

  it.each(strategyTemplates.map((t) => [t.id, t.definition] as const))(
    'accepts the %s template, as the validator does',
    (_id, definition) => {
      expect(validate(definition)).toBeUndefined();
      expect(validateStrategy(definition).ok).toBe(true);
    },
  );

  it.each<[string, (d: ParsedJson) => void]>([
    ['an unknown top-level key', (d) => (d.name = 'x')],
    ['version 2', (d) => (d.version = 2)],
    ['a period of 0', (d) => (d.indicators.fast.period = 0)],
    ['a fractional period', (d) => (d.indicators.fast.period = 2.5)],
    ['an unknown indicator type', (d) => (d.indicators.fast.type = 'smaa')],
    ['a source on atr', (d) => (d.indicators.a = { type: 'atr', period: 10, source: 'close' })],
    ['an indicator named close', (d) => (d.indicators.close = { type: 'sma', period: 10 })],
    ['an indicator name with a dot', (d) => (d.indicators['a.b'] = { type: 'sma', period: 10 })],
    ['an empty all', (d) => (d.exit.long = { all: [] })],
    ['an unknown operator', (d) => (d.exit.long = { above: ['close', 1] })],
    ['three operands', (d) => (d.exit.long = { gt: ['close', 1, 2] })],
    ['a boolean operand', (d) => (d.exit.long = { gt: ['close', true] })],
    ['two operators in one condition', (d) => (d.exit.long = { gt: ['close', 1], lt: ['close', 2] })],
    ['no entry rule', (d) => (d.entry = {})],
    ['a stop-loss of 100%', (d) => (d.risk = { stopLossPct: 100 })],
    ['a take-profit of 0%', (d) => (d.risk = { takeProfitPct: 0 })],
    ['an equity fraction above 1', (d) => (d.sizing = { type: 'equityFraction', fraction: 1.5 })],
    ['wholeUnits on fixed units', (d) => (d.sizing = { type: 'fixedUnits', units: 1, wholeUnits: true })],
  ])('rejects %s, as the validator does', (_case, mutate) => {
    const definition = JSON.parse(JSON.stringify(strategyTemplates[0].definition));
    mutate(definition);
    expect(validate(definition)).toEqual(expect.any(String));
    const result = validateStrategy(definition);
    expect(result.ok ? [] : result.errors).toHaveLength(1);
  });
});

describe('strategyJsonSchema with params', () => {
  const tunable = () => ({
    version: 1,
    params: {
      fast: { type: 'int', default: 10, min: 5, max: 50, step: 1 },
      slow: { type: 'int', default: 30, min: 20, max: 200 },
      stdDev: { type: 'decimal', default: 2, min: 1, max: 3, step: 0.5, description: 'band width' },
      level: { type: 'choice', default: 30, values: [20, 30] },
    },
    constraints: [{ lt: [{ param: 'fast' }, { param: 'slow' }] }, { gte: [{ param: 'slow' }, 25] }],
    indicators: {
      fast: { type: 'sma', period: { param: 'fast' } },
      slow: { type: 'sma', period: { param: 'slow' } },
      bb: { type: 'bbands', period: 20, stdDev: { param: 'stdDev' } },
      r: { type: 'rsi', period: 14 },
    },
    entry: { long: { all: [{ crossAbove: ['fast', 'slow'] }, { lt: ['r', { param: 'level' }] }] } },
    exit: { long: { crossBelow: ['close', 'bb.lower'] } },
    risk: { stopLossPct: { param: 'stdDev' }, maxBarsInTrade: { param: 'fast' } },
    sizing: { type: 'fixedUnits', units: { param: 'level' } },
  });

  it('accepts a definition with params, as the validator does', () => {
    expect(validate(tunable())).toBeUndefined();
    expect(validateStrategy(tunable()).ok).toBe(true);
  });

  it.each<[string, (d: ParsedJson) => void]>([
    ['a param without a range', (d) => delete d.params.fast.max],
    ['an unknown param type', (d) => (d.params.fast.type = 'float')],
    ['a fractional int default', (d) => (d.params.fast.default = 10.5)],
    ['a choice without values', (d) => (d.params.level.values = [])],
    ['a reference with another key', (d) => (d.indicators.fast.period = { param: 'fast', x: 1 })],
    ['a reference that is not a string', (d) => (d.indicators.fast.period = { param: 3 })],
    ['a constraint with an unknown operator', (d) => (d.constraints[0] = { ne: [{ param: 'fast' }, 3] })],
    ['a constraint with one operand', (d) => (d.constraints[0] = { lt: [{ param: 'fast' }] })],
  ])('rejects %s, as the validator does', (_case, mutate) => {
    const definition = tunable();
    mutate(definition);
    expect(validate(definition)).toEqual(expect.any(String));
    expect(validateStrategy(definition).ok).toBe(false);
  });
});
