import { strategyJsonSchema } from '../strategy/json-schema';
import { validateStrategy } from '../strategy/validate';
import { indicatorVocabulary } from '../strategy/vocabulary';
import type { IndicatorType, ValidationIssue } from '../types';
import { INDICATOR_TYPES, indicatorEntry } from '.';

/** What JSON.parse gives: the schema is walked as untyped JSON. */
type ParsedJson = ReturnType<typeof JSON.parse>;
const schema: ParsedJson = JSON.parse(JSON.stringify(strategyJsonSchema));
const schemaOf = (type: string) =>
  schema.$defs.indicator.oneOf.find((s: ParsedJson) => s.properties.type.const === type);

/** The smallest valid spec of a type: its required parameters at 5, everything else left out. */
function minimal(type: IndicatorType): Record<string, unknown> {
  const spec: Record<string, unknown> = { type };
  for (const [key, def] of Object.entries(indicatorEntry(type).params)) {
    if (def.default === undefined && !def.optional) spec[key] = 5;
  }
  return spec;
}

function validateIndicator(spec: unknown) {
  return validateStrategy({ version: 1, indicators: { x: spec }, entry: { long: { gt: ['close', 0] } } });
}
const errorsOf = (spec: unknown): ValidationIssue[] => {
  const result = validateIndicator(spec);
  return result.ok ? [] : result.errors;
};

describe('indicator registry', () => {
  it.each(INDICATOR_TYPES.map((t) => [t]))(
    '%s: the validator fills exactly the defaults the schema announces',
    (type) => {
      const result = validateIndicator(minimal(type));
      expect(result.ok).toBe(true);
      const spec = result.ok ? (result.definition.indicators.x as unknown as Record<string, unknown>) : {};
      const properties = schemaOf(type).properties;
      for (const [key, property] of Object.entries<ParsedJson>(properties)) {
        if (key === 'type') continue;
        expect({ key, value: spec[key] }).toEqual({ key, value: property.default ?? minimal(type)[key] });
      }
      expect(Object.keys(spec)).toEqual(Object.keys(properties).filter((k) => k in spec));
    },
  );

  it.each(INDICATOR_TYPES.map((t) => [t]))('%s: the validator requires what the schema requires', (type) => {
    const required = schemaOf(type).required.filter((k: string) => k !== 'type');
    for (const key of required) {
      const spec = minimal(type);
      delete spec[key];
      expect(errorsOf(spec)).toEqual([{ path: `indicators.x.${key}`, message: 'is required' }]);
    }
    expect(required).toEqual(Object.keys(minimal(type)).filter((k) => k !== 'type'));
  });

  it.each(INDICATOR_TYPES.map((t) => [t]))('%s: the validator and the schema accept the same keys', (type) => {
    const keys = Object.keys(schemaOf(type).properties);
    const [message] = errorsOf({ ...minimal(type), bogus: 1 }).map((e) => e.message);
    expect(message).toBe(`unknown key; expected one of ${keys.join(', ')}`);
  });

  it.each(INDICATOR_TYPES.map((t) => [t]))(
    '%s: every numeric parameter rejects what its schema range excludes',
    (type) => {
      for (const [key, def] of Object.entries(indicatorEntry(type).params)) {
        const property = schemaOf(type).properties[key];
        const outside = def.kind === 'period' ? [0, 10_001, 2.5] : [def.exclusiveMin!, def.max! + 1];
        for (const value of outside) {
          const errors = errorsOf({ ...minimal(type), [key]: value });
          expect(errors.map((e) => e.path)).toContain(`indicators.x.${key}`);
        }
        expect(property.$ref ?? property.oneOf?.[0].type).toBe(def.kind === 'period' ? '#/$defs/period' : 'number');
      }
    },
  );

  it('shows the assistant one line per indicator with its parameters and outputs', () => {
    const lines = indicatorVocabulary();
    expect(lines.map((l) => l.slice(0, l.indexOf('(')))).toEqual([...INDICATOR_TYPES]);
    expect(lines.find((l) => l.startsWith('macd('))).toBe(
      'macd(fast: integer 1..10000 = 12, slow: integer 1..10000 = 26, signal: integer 1..10000 = 9, source = close) → ' +
        'macd, signal, histogram: MACD: outputs macd (EMA fast − EMA slow), signal (EMA of macd) and histogram (macd − signal).',
    );
    expect(lines.find((l) => l.startsWith('vwap('))).toMatch(
      /^vwap\(period: integer 1\.\.10000, optional\) → one value: /,
    );
  });
});
