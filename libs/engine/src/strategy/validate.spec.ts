import type { StrategyDefinition, ValidationIssue } from '../types';
import { strategyTemplates } from './templates';
import { formatValidationIssues, validateStrategy } from './validate';

/** What JSON.parse gives, as the API does: the tables edit documents freely. */
type ParsedJson = ReturnType<typeof JSON.parse>;

/** A valid definition to break one piece at a time. */
function base(): ParsedJson {
  return {
    version: 1,
    indicators: {
      fast: { type: 'sma', period: 10 },
      slow: { type: 'sma', period: 30 },
      m: { type: 'macd' },
      r: { type: 'rsi', period: 14 },
      bb: { type: 'bbands', period: 20 },
    },
    entry: { long: { all: [{ gt: ['close', 0] }, { crossAbove: ['fast', 'slow'] }] } },
    exit: { long: { crossBelow: ['fast', 'slow'] } },
  };
}

const REPLACE = Symbol('replace');
/** From a table's mutation: validate this value instead of the mutated base document. */
const replace = (value: unknown) => ({ [REPLACE]: value });

function errorsOf(input: unknown): ValidationIssue[] {
  const result = validateStrategy(input);
  return result.ok ? [] : result.errors;
}

const TOP_KEYS = 'version, indicators, entry, exit, risk, sizing, allowShort, reverseOnSignal, params, constraints';
const OPS = 'all, any, not, gt, gte, lt, lte, crossAbove, crossBelow';
const PERIOD = 'must be an integer from 1 to 10000';
const PCT = 'must be greater than 0 and less than 100';

function nested(depth: number): unknown {
  let condition: unknown = { gt: ['close', 1] };
  for (let level = 1; level < depth; level++) condition = { not: condition };
  return condition;
}

describe('validateStrategy', () => {
  it.each<[string, (d: ParsedJson) => unknown, ValidationIssue[]]>([
    [
      'an unknown indicator',
      (d) => (d.entry.long.all[1].crossAbove[0] = 'fsat'),
      [{ path: 'entry.long.all[1].crossAbove[0]', message: 'unknown indicator "fsat"' }],
    ],
    [
      'an output the indicator does not have',
      (d) => (d.exit.long.crossBelow[1] = 'r.upper'),
      [{ path: 'exit.long.crossBelow[1]', message: 'indicator "r" has no output "upper" (it has value)' }],
    ],
    [
      'a multi-output indicator without an output',
      (d) => (d.entry.long.all[0].gt[1] = 'm'),
      [
        {
          path: 'entry.long.all[0].gt[1]',
          message: 'indicator "m" has several outputs; use one of m.macd, m.signal, m.histogram',
        },
      ],
    ],
    [
      'an output of an unknown indicator',
      (d) => (d.entry.long.all[0].gt[0] = 'nope.upper'),
      [{ path: 'entry.long.all[0].gt[0]', message: 'unknown indicator "nope"' }],
    ],
    ['a document that is not an object', () => replace(null), [{ path: '', message: 'must be an object (got null)' }]],
    ['an array as the document', () => replace([]), [{ path: '', message: 'must be an object (got array)' }]],
    [
      'an unknown top-level key',
      (d) => (d.name = 'x'),
      [{ path: 'name', message: `unknown key; expected one of ${TOP_KEYS}` }],
    ],
    [
      'an unknown key in an indicator',
      (d) => (d.indicators.fast.length = 3),
      [{ path: 'indicators.fast.length', message: 'unknown key; expected one of type, period, source' }],
    ],
    [
      'a source on an indicator that reads whole candles',
      (d) => (d.indicators.a = { type: 'atr', period: 14, source: 'close' }),
      [{ path: 'indicators.a.source', message: 'unknown key; expected one of type, period' }],
    ],
    [
      'an unknown key in the risk settings',
      (d) => (d.risk = { stopLoss: 2 }),
      [
        {
          path: 'risk.stopLoss',
          message: 'unknown key; expected one of stopLossPct, takeProfitPct, trailingStopPct, maxBarsInTrade',
        },
      ],
    ],
    [
      'wholeUnits on fixed-units sizing',
      (d) => (d.sizing = { type: 'fixedUnits', units: 1, wholeUnits: true }),
      [{ path: 'sizing.wholeUnits', message: 'unknown key; expected one of type, units' }],
    ],
    ['version 2', (d) => (d.version = 2), [{ path: 'version', message: 'must be 1' }]],
    ['version "1"', (d) => (d.version = '1'), [{ path: 'version', message: 'must be 1' }]],
    ['a missing version', (d) => delete d.version, [{ path: 'version', message: 'is required' }]],
    [
      'missing indicators',
      (d) => (d.indicators = undefined),
      [
        { path: 'indicators', message: 'is required' },
        { path: 'entry.long.all[1].crossAbove[0]', message: 'unknown indicator "fast"' },
        { path: 'entry.long.all[1].crossAbove[1]', message: 'unknown indicator "slow"' },
        { path: 'exit.long.crossBelow[0]', message: 'unknown indicator "fast"' },
        { path: 'exit.long.crossBelow[1]', message: 'unknown indicator "slow"' },
      ],
    ],
    [
      'indicators given as an array',
      (d) => (d.indicators = []),
      [
        { path: 'indicators', message: 'must be an object mapping names to indicators (got array)' },
        { path: 'entry.long.all[1].crossAbove[0]', message: 'unknown indicator "fast"' },
        { path: 'entry.long.all[1].crossAbove[1]', message: 'unknown indicator "slow"' },
        { path: 'exit.long.crossBelow[0]', message: 'unknown indicator "fast"' },
        { path: 'exit.long.crossBelow[1]', message: 'unknown indicator "slow"' },
      ],
    ],
    ['a period of 0', (d) => (d.indicators.fast.period = 0), [{ path: 'indicators.fast.period', message: PERIOD }]],
    [
      'a fractional period',
      (d) => (d.indicators.fast.period = 2.5),
      [{ path: 'indicators.fast.period', message: PERIOD }],
    ],
    [
      'a period above 10000',
      (d) => (d.indicators.fast.period = 10_001),
      [{ path: 'indicators.fast.period', message: PERIOD }],
    ],
    [
      'a period given as a string',
      (d) => (d.indicators.fast.period = '10'),
      [{ path: 'indicators.fast.period', message: 'must be a number (got string)' }],
    ],
    [
      'a NaN period',
      (d) => (d.indicators.fast.period = NaN),
      [{ path: 'indicators.fast.period', message: 'must be a finite number' }],
    ],
    [
      'a missing period',
      (d) => delete d.indicators.slow.period,
      [{ path: 'indicators.slow.period', message: 'is required' }],
    ],
    [
      'a MACD signal period of 0',
      (d) => (d.indicators.m.signal = 0),
      [{ path: 'indicators.m.signal', message: PERIOD }],
    ],
    [
      'a MACD whose fast period is not below the slow one',
      (d) => (d.indicators.m = { type: 'macd', fast: 26 }),
      [{ path: 'indicators.m.fast', message: 'must be less than slow (26)' }],
    ],
    [
      'a stochastic %D period of 0',
      (d) => (d.indicators.st = { type: 'stoch', period: 14, dPeriod: 0 }),
      [{ path: 'indicators.st.dPeriod', message: PERIOD }],
    ],
    [
      'a vwap period of -1',
      (d) => (d.indicators.v = { type: 'vwap', period: -1 }),
      [{ path: 'indicators.v.period', message: PERIOD }],
    ],
    [
      'a Bollinger width of 0',
      (d) => (d.indicators.bb.stdDev = 0),
      [{ path: 'indicators.bb.stdDev', message: 'must be greater than 0 and at most 100' }],
    ],
    [
      'an unknown source',
      (d) => (d.indicators.fast.source = 'typical'),
      [
        {
          path: 'indicators.fast.source',
          message: 'must be one of open, high, low, close, volume, hl2, hlc3, ohlc4',
        },
      ],
    ],
    [
      'an unknown indicator type',
      (d) => (d.indicators.fast.type = 'smaa'),
      [
        {
          path: 'indicators.fast.type',
          message:
            'unknown indicator type "smaa"; expected one of sma, ema, wma, rsi, macd, bbands, atr, stoch, roc, highest, lowest, donchian, vwap',
        },
      ],
    ],
    [
      'an indicator without a type',
      (d) => delete d.indicators.r.type,
      [{ path: 'indicators.r.type', message: 'is required' }],
    ],
    [
      'an indicator that is not an object',
      (d) => (d.indicators.r = 14),
      [
        {
          path: 'indicators.r',
          message: 'must be an indicator object such as {"type": "sma", "period": 20} (got number)',
        },
      ],
    ],
    [
      'an indicator named like a price field',
      (d) => (d.indicators.close = { type: 'sma', period: 3 }),
      [{ path: 'indicators.close', message: '"close" is a price field and cannot name an indicator' }],
    ],
    [
      'an indicator named like a derived price',
      (d) => (d.indicators.hlc3 = { type: 'sma', period: 3 }),
      [{ path: 'indicators.hlc3', message: '"hlc3" is a price field and cannot name an indicator' }],
    ],
    [
      'an indicator name with a dot',
      (d) => (d.indicators['a.b'] = { type: 'sma', period: 3 }),
      [
        {
          path: 'indicators["a.b"]',
          message: 'indicator names must not contain "." (it separates an indicator from its output)',
        },
      ],
    ],
    [
      'an indicator name with a space',
      (d) => (d.indicators['my sma'] = { type: 'sma', period: 3 }),
      [
        {
          path: 'indicators["my sma"]',
          message:
            'indicator names must start with a letter or "_" and hold only letters, digits and "_" (at most 64 characters)',
        },
      ],
    ],
    [
      'an empty indicator name',
      (d) => (d.indicators[''] = { type: 'sma', period: 3 }),
      [
        {
          path: 'indicators[""]',
          message:
            'indicator names must start with a letter or "_" and hold only letters, digits and "_" (at most 64 characters)',
        },
      ],
    ],
    [
      'a comparison with three operands',
      (d) => (d.entry.long.all[0].gt = ['close', 1, 2]),
      [{ path: 'entry.long.all[0].gt', message: 'must be an array of exactly 2 operands' }],
    ],
    [
      'a comparison with one operand',
      (d) => (d.exit.long.crossBelow = ['fast']),
      [{ path: 'exit.long.crossBelow', message: 'must be an array of exactly 2 operands' }],
    ],
    [
      'a comparison that is not an array',
      (d) => (d.exit.long = { lt: 'close' }),
      [{ path: 'exit.long.lt', message: 'must be an array of exactly 2 operands' }],
    ],
    [
      'a comparison of two constants',
      (d) => (d.entry.long.all[0].gt = [1, 0]),
      [
        {
          path: 'entry.long.all[0].gt',
          message: 'compares two constants; at least one operand must be a price field or an indicator',
        },
      ],
    ],
    [
      'a boolean operand',
      (d) => (d.entry.long.all[0].gt[1] = true),
      [
        {
          path: 'entry.long.all[0].gt[1]',
          message: 'must be a number, a price field or an indicator reference (got boolean)',
        },
      ],
    ],
    [
      'an infinite operand',
      (d) => (d.entry.long.all[0].gt[1] = Infinity),
      [{ path: 'entry.long.all[0].gt[1]', message: 'must be a finite number' }],
    ],
    [
      'an empty all',
      (d) => (d.entry.long = { all: [] }),
      [{ path: 'entry.long.all', message: 'must contain at least one condition' }],
    ],
    [
      'an empty any',
      (d) => (d.exit.long = { any: [] }),
      [{ path: 'exit.long.any', message: 'must contain at least one condition' }],
    ],
    [
      'an all that is not an array',
      (d) => (d.exit.long = { all: { gt: ['close', 1] } }),
      [{ path: 'exit.long.all', message: 'must be an array of conditions (got object)' }],
    ],
    [
      'two operators in one condition',
      (d) => (d.exit.long = { gt: ['close', 1], lt: ['close', 2] }),
      [{ path: 'exit.long', message: 'must hold exactly one operator, found gt, lt' }],
    ],
    [
      'an unknown operator',
      (d) => (d.exit.long = { above: ['close', 1] }),
      [{ path: 'exit.long.above', message: `unknown operator; expected one of ${OPS}` }],
    ],
    [
      'an unknown key beside an operator',
      (d) => (d.exit.long.note = 'x'),
      [{ path: 'exit.long.note', message: `unknown operator; expected one of ${OPS}` }],
    ],
    [
      'an empty condition',
      (d) => (d.exit.long = {}),
      [{ path: 'exit.long', message: `must hold one operator: ${OPS}` }],
    ],
    [
      'a condition that is a string',
      (d) => (d.entry.long.all[1] = 'fast > slow'),
      [
        {
          path: 'entry.long.all[1]',
          message: 'must be a condition object such as {"gt": ["close", 100]} (got string)',
        },
      ],
    ],
    [
      'nesting deeper than 32 levels',
      (d) => (d.exit.long = nested(33)),
      [{ path: `exit.long${'.not'.repeat(32)}`, message: 'conditions must not be nested more than 32 levels deep' }],
    ],
    [
      'short entry rules without allowShort',
      (d) => (d.entry.short = { crossBelow: ['fast', 'slow'] }),
      [{ path: 'entry.short', message: 'short entry rules need "allowShort": true' }],
    ],
    [
      'short entry rules with allowShort false',
      (d) => Object.assign(d, { allowShort: false, entry: { short: { crossBelow: ['fast', 'slow'] } } }),
      [{ path: 'entry.short', message: 'short entry rules need "allowShort": true' }],
    ],
    [
      'no entry rule at all',
      (d) => (d.entry = {}),
      [{ path: 'entry', message: 'needs at least one rule: long or short' }],
    ],
    ['a missing entry', (d) => delete d.entry, [{ path: 'entry', message: 'is required' }]],
    [
      'an unknown side',
      (d) => (d.exit.both = { gt: ['close', 1] }),
      [{ path: 'exit.both', message: 'unknown key; expected one of long, short' }],
    ],
    [
      'a string for allowShort',
      (d) => (d.allowShort = 'yes'),
      [{ path: 'allowShort', message: 'must be a boolean (got string)' }],
    ],
    ['a negative stop-loss', (d) => (d.risk = { stopLossPct: -1 }), [{ path: 'risk.stopLossPct', message: PCT }]],
    ['a stop-loss of 100%', (d) => (d.risk = { stopLossPct: 100 }), [{ path: 'risk.stopLossPct', message: PCT }]],
    ['a take-profit of 0%', (d) => (d.risk = { takeProfitPct: 0 }), [{ path: 'risk.takeProfitPct', message: PCT }]],
    [
      'a trailing stop of 150%',
      (d) => (d.risk = { trailingStopPct: 150 }),
      [{ path: 'risk.trailingStopPct', message: PCT }],
    ],
    [
      'a fractional maxBarsInTrade',
      (d) => (d.risk = { maxBarsInTrade: 1.5 }),
      [{ path: 'risk.maxBarsInTrade', message: 'must be an integer of at least 1' }],
    ],
    [
      'a maxBarsInTrade of 0',
      (d) => (d.risk = { maxBarsInTrade: 0 }),
      [{ path: 'risk.maxBarsInTrade', message: 'must be an integer of at least 1' }],
    ],
    [
      'an equity fraction of 0',
      (d) => (d.sizing = { type: 'equityFraction', fraction: 0 }),
      [{ path: 'sizing.fraction', message: 'must be greater than 0 and at most 1' }],
    ],
    [
      'an equity fraction above 1',
      (d) => (d.sizing = { type: 'equityFraction', fraction: 1.5 }),
      [{ path: 'sizing.fraction', message: 'must be greater than 0 and at most 1' }],
    ],
    [
      'a missing equity fraction',
      (d) => (d.sizing = { type: 'equityFraction' }),
      [{ path: 'sizing.fraction', message: 'is required' }],
    ],
    [
      'a negative quote amount',
      (d) => (d.sizing = { type: 'fixedQuote', amount: -5 }),
      [{ path: 'sizing.amount', message: 'must be greater than 0' }],
    ],
    [
      'zero fixed units',
      (d) => (d.sizing = { type: 'fixedUnits', units: 0 }),
      [{ path: 'sizing.units', message: 'must be greater than 0' }],
    ],
    [
      'an unknown sizing type',
      (d) => (d.sizing = { type: 'kelly' }),
      [{ path: 'sizing.type', message: 'must be one of equityFraction, fixedQuote, fixedUnits' }],
    ],
    [
      'more than 64 indicators',
      (d) => {
        for (let k = 0; k < 60; k++) d.indicators[`s${k}`] = { type: 'sma', period: 2 };
      },
      [{ path: 'indicators', message: 'must declare at most 64 indicators' }],
    ],
    [
      'more than 512 conditions',
      (d) => (d.exit.long = { any: Array.from({ length: 600 }, () => ({ gt: ['close', 1] })) }),
      [{ path: 'exit.long.any[508]', message: 'a definition may hold at most 512 conditions' }],
    ],
    [
      'a "__proto__" key from JSON.parse',
      (d) => replace(JSON.parse(JSON.stringify(d).replace('{', '{"__proto__": {"polluted": true}, '))),
      [{ path: '__proto__', message: `unknown key; expected one of ${TOP_KEYS}` }],
    ],
  ])('rejects %s', (_case, mutate, expected) => {
    const doc = base();
    const result = mutate(doc);
    const input = typeof result === 'object' && result !== null && REPLACE in result ? result[REPLACE] : doc;
    expect(errorsOf(input)).toEqual(expected);
  });

  it('reports every problem of a document at once, in document order', () => {
    const doc = base();
    doc.version = 3;
    doc.indicators.fast.period = 0;
    doc.indicators.slow.type = 'smaa';
    doc.entry.long.all[1].crossAbove[0] = 'fsat';
    doc.sizing = { type: 'equityFraction', fraction: 2 };
    expect(errorsOf(doc).map((e) => e.path)).toEqual([
      'version',
      'indicators.fast.period',
      'indicators.slow.type',
      'entry.long.all[1].crossAbove[0]',
      'sizing.fraction',
    ]);
  });

  it('accepts a condition nested exactly 32 levels deep', () => {
    const doc = base();
    doc.exit.long = nested(32);
    expect(validateStrategy(doc).ok).toBe(true);
  });

  it('accepts an explicit value output and every output of multi-output indicators', () => {
    const doc = base();
    doc.indicators.st = { type: 'stoch', period: 14 };
    doc.indicators.dc = { type: 'donchian', period: 20 };
    doc.exit.long = {
      any: [
        { gt: ['r.value', 70] },
        { lt: ['m.macd', 'm.signal'] },
        { lt: ['m.histogram', 0] },
        { gt: ['close', 'bb.upper'] },
        { lt: ['bb.lower', 'bb.middle'] },
        { gt: ['st.k', 'st.d'] },
        { gte: ['high', 'dc.upper'] },
        { lte: ['low', 'dc.lower'] },
        { not: { crossAbove: ['hlc3', 'dc.middle'] } },
      ],
    };
    expect(errorsOf(doc)).toEqual([]);
  });

  it('fills every default in the normalised definition', () => {
    const result = validateStrategy({
      version: 1,
      indicators: {
        a: { type: 'sma', period: 5 },
        m: { type: 'macd' },
        b: { type: 'bbands', period: 20 },
        s: { type: 'stoch', period: 14 },
        v: { type: 'vwap' },
        t: { type: 'atr', period: 14 },
      },
      entry: { long: { gt: ['close', 'a'] } },
    });
    expect(result).toEqual({
      ok: true,
      definition: {
        version: 1,
        indicators: {
          a: { type: 'sma', period: 5, source: 'close' },
          m: { type: 'macd', fast: 12, slow: 26, signal: 9, source: 'close' },
          b: { type: 'bbands', period: 20, stdDev: 2, source: 'close' },
          s: { type: 'stoch', period: 14, kSmoothing: 1, dPeriod: 3 },
          v: { type: 'vwap' },
          t: { type: 'atr', period: 14 },
        },
        entry: { long: { gt: ['close', 'a'] } },
        exit: {},
        risk: {},
        sizing: { type: 'equityFraction', fraction: 1, wholeUnits: false },
        allowShort: false,
        reverseOnSignal: true,
      },
    });
  });

  it('keeps the settings it was given', () => {
    const doc = base();
    Object.assign(doc, {
      risk: { stopLossPct: 2, takeProfitPct: 99.5, trailingStopPct: 0.5, maxBarsInTrade: 10 },
      sizing: { type: 'fixedQuote', amount: 1000, wholeUnits: true },
      allowShort: true,
      reverseOnSignal: false,
    });
    doc.entry.short = { crossBelow: ['fast', 'slow'] };
    const result = validateStrategy(doc);
    expect(result.ok && result.definition).toMatchObject({
      risk: { stopLossPct: 2, takeProfitPct: 99.5, trailingStopPct: 0.5, maxBarsInTrade: 10 },
      sizing: { type: 'fixedQuote', amount: 1000, wholeUnits: true },
      allowShort: true,
      reverseOnSignal: false,
      entry: { short: { crossBelow: ['fast', 'slow'] } },
    });
  });

  it('neither changes its input nor shares objects with it', () => {
    const doc = base();
    const before = JSON.stringify(doc);
    const result = validateStrategy(doc);
    expect(JSON.stringify(doc)).toBe(before);
    if (!result.ok) throw new Error(formatValidationIssues(result.errors));
    expect(result.definition.entry.long).toEqual(doc.entry.long);
    expect(result.definition.entry.long).not.toBe(doc.entry.long);
    expect(result.definition.indicators.fast).not.toBe(doc.indicators.fast);
  });

  it.each(strategyTemplates.map((t) => [t.id, t.definition] as const))(
    'accepts the %s template as already normalised',
    (_id, definition: StrategyDefinition) => {
      expect(validateStrategy(definition)).toEqual({ ok: true, definition });
    },
  );

  it('accepts a definition that went through JSON', () => {
    for (const template of strategyTemplates) {
      expect(validateStrategy(JSON.parse(JSON.stringify(template.definition))).ok).toBe(true);
    }
  });
});

describe('formatValidationIssues', () => {
  it('writes one "path: message" line per issue', () => {
    expect(
      formatValidationIssues([
        { path: '', message: 'must be an object (got null)' },
        { path: 'entry.long.all[1].crossAbove[0]', message: 'unknown indicator "fsat"' },
      ]),
    ).toBe('(root): must be an object (got null)\nentry.long.all[1].crossAbove[0]: unknown indicator "fsat"');
  });
});
