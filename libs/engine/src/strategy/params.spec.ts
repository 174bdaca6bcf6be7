import { runBacktest } from '../backtest';
import { EngineError } from '../errors';
import { bars } from '../simulate/fixtures';
import type { ParameterizedDefinition, StrategyDefinition, ValidationIssue } from '../types';
import { bindParams, paramSpace } from './params';
import { strategyTemplates } from './templates';
import { validateStrategy, validateStrategyDocument } from './validate';

/** What JSON.parse gives, as the API does. */
type ParsedJson = ReturnType<typeof JSON.parse>;

/** The SMA crossover with its periods, stop-loss and sizing as params, fast < slow. */
function tunable(): ParsedJson {
  return {
    version: 1,
    params: {
      fast: { type: 'int', default: 10, min: 5, max: 50, step: 1 },
      slow: { type: 'int', default: 30, min: 20, max: 200, step: 10 },
      stop: { type: 'decimal', default: 5, min: 1, max: 10, description: 'stop-loss in percent' },
      level: { type: 'choice', default: 0, values: [0, -1, 1] },
      fraction: { type: 'decimal', default: 1, min: 0.5, max: 1, step: 0.25 },
    },
    constraints: [{ lt: [{ param: 'fast' }, { param: 'slow' }] }],
    indicators: {
      fast: { type: 'sma', period: { param: 'fast' } },
      slow: { type: 'sma', period: { param: 'slow' } },
    },
    entry: { long: { all: [{ crossAbove: ['fast', 'slow'] }, { gt: ['close', { param: 'level' }] }] } },
    exit: { long: { crossBelow: ['fast', 'slow'] } },
    risk: { stopLossPct: { param: 'stop' } },
    sizing: { type: 'equityFraction', fraction: { param: 'fraction' } },
  };
}

/** The same strategy written with the numbers the params default to. */
function concrete(fast = 10, slow = 30, stop = 5, level = 0, fraction = 1): ParsedJson {
  return {
    version: 1,
    indicators: { fast: { type: 'sma', period: fast }, slow: { type: 'sma', period: slow } },
    entry: { long: { all: [{ crossAbove: ['fast', 'slow'] }, { gt: ['close', level] }] } },
    exit: { long: { crossBelow: ['fast', 'slow'] } },
    risk: { stopLossPct: stop },
    sizing: { type: 'equityFraction', fraction },
  };
}

function errorsOf(input: unknown): ValidationIssue[] {
  const result = validateStrategyDocument(input);
  return result.ok ? [] : result.errors;
}

function engineError(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('params in a definition', () => {
  it('are kept with their references by validateStrategyDocument', () => {
    const result = validateStrategyDocument(tunable());
    expect(result.ok).toBe(true);
    const definition = result.ok ? result.definition : ({} as ParameterizedDefinition);
    expect(definition.params).toEqual(tunable().params);
    expect(definition.constraints).toEqual(tunable().constraints);
    expect(definition.indicators.fast).toEqual({ type: 'sma', period: { param: 'fast' }, source: 'close' });
    expect(definition.risk).toEqual({ stopLossPct: { param: 'stop' } });
    // Stored, then validated again: the same document.
    expect(validateStrategyDocument(JSON.parse(JSON.stringify(definition)))).toEqual(result);
  });

  it('run as the definition written with their defaults', () => {
    expect(validateStrategy(tunable())).toEqual(validateStrategy(concrete()));
    const candles = bars(
      Array.from({ length: 400 }, (_, i) => {
        const c = 100 + 10 * Math.sin(i / 15) + (i % 7) / 10;
        return [c - 0.2, c + 0.5, c - 0.6, c, 1];
      }),
    );
    const settings = { initialCapital: 10_000 };
    const withParams = runBacktest({ definition: tunable(), precision: 'kline', candles, settings });
    const withNumbers = runBacktest({ definition: concrete(), precision: 'kline', candles, settings });
    expect(withParams.metrics.tradeCount).toBeGreaterThan(0);
    expect(JSON.stringify(withParams)).toBe(JSON.stringify(withNumbers));
  });

  it('leave a definition without params exactly as before', () => {
    for (const template of strategyTemplates) {
      expect(validateStrategyDocument(template.definition)).toEqual({ ok: true, definition: template.definition });
    }
  });

  it.each<[string, (d: ParsedJson) => void, ValidationIssue[]]>([
    ['max below min', (d) => (d.params.fast.max = 4), [{ path: 'params.fast.max', message: 'must be ≥ min' }]],
    [
      'a reference to an undeclared param',
      (d) => (d.indicators.fast.period = { param: 'fsat' }),
      [
        {
          path: 'indicators.fast.period',
          message: 'unknown param "fsat" (declared: fast, slow, stop, level, fraction)',
        },
      ],
    ],
    [
      'a default outside the range',
      (d) => (d.params.fast.default = 60),
      [{ path: 'params.fast.default', message: 'must be from min to max' }],
    ],
    [
      'a default off the grid',
      (d) => (d.params.slow.default = 35),
      [{ path: 'params.slow.default', message: 'must be min plus a whole number of steps (20 + k × 10)' }],
    ],
    [
      'a fractional int',
      (d) => (d.params.fast.min = 5.5),
      [{ path: 'params.fast.min', message: 'must be an integer' }],
    ],
    [
      'a choice whose default is not a value',
      (d) => (d.params.level.default = 2),
      [{ path: 'params.level.default', message: 'must be one of the values' }],
    ],
    [
      'a repeated choice',
      (d) => (d.params.level.values = [0, 1, 1]),
      [{ path: 'params.level.values[2]', message: 'repeats 1' }],
    ],
    [
      'an unknown param type',
      (d) => (d.params.fast.type = 'float'),
      [{ path: 'params.fast.type', message: 'must be one of int, decimal, choice' }],
    ],
    [
      'a key a choice does not have',
      (d) => (d.params.level.min = 0),
      [{ path: 'params.level.min', message: 'unknown key; expected one of type, default, values, description' }],
    ],
    [
      'a decimal where an integer goes',
      (d) => (d.indicators.fast.period = { param: 'stop' }),
      [
        {
          path: 'indicators.fast.period',
          message: 'param "stop" is a decimal; this needs an int or a choice of integers',
        },
      ],
    ],
    [
      'a range reaching outside what the slot allows',
      (d) => (d.params.fast.min = 0),
      [
        {
          path: 'indicators.fast.period',
          message: 'param "fast" may be 0 (its min), and this must be an integer from 1 to 10000',
        },
      ],
    ],
    [
      'a choice with a value the slot does not allow',
      (d) => (d.risk.takeProfitPct = { param: 'level' }),
      [
        {
          path: 'risk.takeProfitPct',
          message: 'param "level" may be 0 (one of its values), and this must be greater than 0 and less than 100',
        },
      ],
    ],
    [
      'a malformed reference',
      (d) => (d.sizing.fraction = { param: 'fraction', scale: 2 }),
      [{ path: 'sizing.fraction', message: 'must be a number or a param reference such as {"param": "fast"}' }],
    ],
    [
      'a constraint on an undeclared param',
      (d) => (d.constraints[0].lt[1] = { param: 'slw' }),
      [{ path: 'constraints[0].lt[1]', message: 'unknown param "slw" (declared: fast, slow, stop, level, fraction)' }],
    ],
    [
      'a constraint the defaults break',
      (d) => (d.constraints = [{ gt: [{ param: 'fast' }, { param: 'slow' }] }]),
      [{ path: 'constraints[0]', message: 'the defaults do not meet it: fast > slow with fast = 10, slow = 30' }],
    ],
    [
      'a constraint with an unknown operator',
      (d) => (d.constraints = [{ ne: [{ param: 'fast' }, 3] }]),
      [
        {
          path: 'constraints[0]',
          message: 'must hold one operator of lt, lte, gt, gte, e.g. {"lt": [{"param": "fast"}, {"param": "slow"}]}',
        },
      ],
    ],
    [
      'a comparison of a param with a constant',
      (d) => (d.exit.long = { gt: [{ param: 'level' }, 3] }),
      [
        {
          path: 'exit.long.gt',
          message: 'compares two constants; at least one operand must be a price field or an indicator',
        },
      ],
    ],
    [
      'MACD defaults with fast ≥ slow',
      (d) => {
        d.indicators.m = { type: 'macd', fast: { param: 'slow' }, slow: { param: 'fast' } };
        d.params.fast.max = 200;
      },
      [{ path: 'indicators.m.fast', message: 'must be less than slow (10)' }],
    ],
  ])('rejects %s at its path', (_case, mutate, expected) => {
    const doc = tunable();
    mutate(doc);
    expect(errorsOf(doc)).toEqual(expected);
  });
});

describe('bindParams', () => {
  it('binds the given values and the defaults of the others', () => {
    const bound = bindParams(tunable(), { fast: 20, slow: 100, fraction: 0.75 });
    expect(bound).toEqual(
      (validateStrategy(concrete(20, 100, 5, 0, 0.75)) as { definition: StrategyDefinition }).definition,
    );
    expect(bound).not.toHaveProperty('params');
    expect(bound).not.toHaveProperty('constraints');
    expect(bindParams(tunable())).toEqual(bindParams(tunable(), { fast: 10, slow: 30 }));
  });

  it('does not change the definition it binds', () => {
    const definition = tunable();
    const before = JSON.stringify(definition);
    bindParams(definition, { fast: 40, slow: 50 });
    expect(JSON.stringify(definition)).toBe(before);
  });

  it.each<[string, Record<string, number>, ValidationIssue[]]>([
    ['an unknown param', { fsat: 3 }, [{ path: 'fsat', message: 'is not a param of this definition' }]],
    ['a value above max', { fast: 51 }, [{ path: 'fast', message: 'must be from 5 to 50' }]],
    ['a fractional int', { fast: 7.5 }, [{ path: 'fast', message: 'must be an integer' }]],
    [
      'a value off the grid',
      { slow: 45 },
      [{ path: 'slow', message: 'must be 20 plus a whole number of steps of 10' }],
    ],
    [
      'a decimal off its grid',
      { fraction: 0.6 },
      [{ path: 'fraction', message: 'must be 0.5 plus a whole number of steps of 0.25' }],
    ],
    ['a value that is not a choice', { level: 2 }, [{ path: 'level', message: 'must be one of 0, -1, 1' }]],
    ['NaN', { stop: NaN }, [{ path: 'stop', message: 'must be a finite number' }]],
    [
      'values that break a constraint',
      { fast: 40, slow: 30 },
      [{ path: 'constraints[0]', message: 'fast < slow with fast = 40, slow = 30' }],
    ],
  ])('rejects %s with INVALID_PARAMS', (_case, values, issues) => {
    const error = engineError(() => bindParams(tunable(), values));
    expect(error.code).toBe('INVALID_PARAMS');
    expect(error.details).toEqual(issues);
  });

  it('rejects values that make the bound definition invalid with INVALID_PARAMS at the document path', () => {
    const doc = tunable();
    doc.constraints = [];
    doc.params.slow.min = 10;
    doc.params.fast.max = 200;
    doc.indicators.m = { type: 'macd', fast: { param: 'fast' }, slow: { param: 'slow' } };
    const error = engineError(() => bindParams(doc, { fast: 40, slow: 30 }));
    expect(error.code).toBe('INVALID_PARAMS');
    expect(error.details).toEqual([{ path: 'indicators.m.fast', message: 'must be less than slow (30)' }]);
  });

  it('rejects an invalid definition with INVALID_STRATEGY', () => {
    const doc = tunable();
    doc.params.fast.max = 1;
    expect(engineError(() => bindParams(doc, {})).code).toBe('INVALID_STRATEGY');
  });

  it('binds a definition without params to itself', () => {
    const definition = strategyTemplates[0].definition;
    expect(bindParams(definition)).toEqual(definition);
    expect(engineError(() => bindParams(definition, { fast: 3 })).code).toBe('INVALID_PARAMS');
  });
});

describe('paramSpace', () => {
  it('describes each param as a dimension, with its grid', () => {
    const space = paramSpace(tunable());
    expect(space.constraints).toEqual([{ lt: [{ param: 'fast' }, { param: 'slow' }] }]);
    const [fast, slow, stop, level, fraction] = space.params;
    expect(fast).toMatchObject({ name: 'fast', type: 'int', default: 10, min: 5, max: 50, step: 1 });
    expect(fast.values).toHaveLength(46);
    expect(slow.values).toEqual([
      20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200,
    ]);
    expect(stop).toEqual({
      name: 'stop',
      type: 'decimal',
      default: 5,
      min: 1,
      max: 10,
      description: 'stop-loss in percent',
    });
    expect(level).toEqual({ name: 'level', type: 'choice', default: 0, min: -1, max: 1, values: [-1, 0, 1] });
    expect(fraction.values).toEqual([0.5, 0.75, 1]);
  });

  it('lists decimal grids without rounding residue', () => {
    const doc = tunable();
    doc.params.fraction = { type: 'decimal', default: 0.3, min: 0.1, max: 0.9, step: 0.1 };
    const fraction = paramSpace(doc).params.find((p) => p.name === 'fraction');
    expect(fraction?.values).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    // Every value of the space binds.
    for (const value of fraction!.values!) expect(() => bindParams(doc, { fraction: value })).not.toThrow();
  });

  it('is empty for a definition without params', () => {
    expect(paramSpace(strategyTemplates[1].definition)).toEqual({ params: [], constraints: [] });
  });
});
