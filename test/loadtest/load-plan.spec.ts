import {
  SCENARIOS,
  SCENARIO_STEPS,
  UsageError,
  formatReport,
  mergeSamples,
  parseLoadArgs,
  percentile,
  splitLoad,
  stepReport,
} from '../../bench/loadtest/load-plan';

describe('loadtest flags', () => {
  it('reads every flag, in both --flag value and --flag=value forms', () => {
    expect(
      parseLoadArgs([
        '--url',
        'http://127.0.0.1:3000/ignored/path',
        '--scenario=read',
        '--rps',
        '500',
        '--connections=1000',
        '--duration',
        '30',
        '--users',
        '5',
        '--json',
        '--out',
        'r.json',
      ]),
    ).toEqual({
      url: 'http://127.0.0.1:3000',
      scenario: 'read',
      rps: 500,
      connections: 1000,
      durationSeconds: 30,
      users: 5,
      timeoutSeconds: 10,
      json: true,
      out: 'r.json',
    });
  });

  it('defaults to the mixed scenario, unthrottled, 100 connections for 30 s', () => {
    expect(parseLoadArgs(['--url', 'https://api.example.com'])).toMatchObject({
      scenario: 'mixed',
      rps: 0,
      connections: 100,
      durationSeconds: 30,
      json: false,
    });
  });

  it.each([
    [[], /--url is required/],
    [['--url', 'ftp://x'], /http\(s\) URL/],
    [['--url', 'not a url'], /http\(s\) URL/],
    [['--url', 'http://x', '--scenario', 'write'], /--scenario must be one of read, auth, backtest, mixed/],
    [['--url', 'http://x', '--rps', '-1'], /--rps must be an integer/],
    [['--url', 'http://x', '--connections', '1.5'], /--connections must be an integer/],
    [['--url', 'http://x', '--duration'], /--duration needs a value/],
    [['--url', 'http://x', '--frobnicate', '1'], /unknown flag --frobnicate/],
    [['http://x'], /unexpected argument/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseLoadArgs(argv)).toThrow(UsageError);
    expect(() => parseLoadArgs(argv)).toThrow(message);
  });
});

describe('loadtest plan', () => {
  it.each(SCENARIOS)('the %s scenario has steps whose weights add up to 1', (name) => {
    const total = SCENARIO_STEPS[name].reduce((s, x) => s + x.weight, 0);
    expect(total).toBeCloseTo(1, 9);
  });

  it('splits connections exactly, at least one per step, and the rate by weight', () => {
    for (const connections of [7, 10, 99, 1000]) {
      const split = splitLoad(SCENARIO_STEPS.mixed, connections, 700);
      expect(split.reduce((n, s) => n + s.connections, 0)).toBe(connections);
      expect(Math.min(...split.map((s) => s.connections))).toBeGreaterThanOrEqual(1);
      expect(split.reduce((n, s) => n + s.rps, 0)).toBeCloseTo(700, 6);
    }
    const split = splitLoad(SCENARIO_STEPS.read, 1000, 0);
    expect(split.map((s) => s.connections)).toEqual([500, 300, 200]);
    expect(split.every((s) => s.rps === 0)).toBe(true);
  });

  it('needs one connection per step', () => {
    expect(() => splitLoad(SCENARIO_STEPS.mixed, 3, 0)).toThrow(/at least 7/);
  });
});

describe('loadtest report', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 0.5), percentile(sorted, 0.95), percentile(sorted, 0.99)]).toEqual([50, 95, 99]);
    expect(percentile([], 0.5)).toBe(0);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('counts 4xx, 5xx and transport errors as errors, 2xx and 3xx as successes, by status', () => {
    const samples = {
      step: 'GET x',
      latenciesMs: [5, 1, 3, 2, 4, 10, 9, 8, 7, 6],
      statuses: new Map([
        [200, 6],
        [304, 1],
        [429, 2],
        [503, 1],
      ]),
      transportErrors: 2,
    };
    const r = stepReport(samples, 2);
    expect(r).toEqual({
      step: 'GET x',
      requests: 12,
      throughputRps: 6,
      latencyMs: { p50: 5, p95: 10, p99: 10, max: 10 },
      errorRate: 0.416667,
      errorsByStatus: { '429': 2, '503': 1, transport: 2 },
    });
  });

  it('merges the steps into the total and prints one row per step and the success rate', () => {
    const a = { step: 'a', latenciesMs: [1, 2], statuses: new Map([[200, 2]]), transportErrors: 0 };
    const b = { step: 'b', latenciesMs: [3], statuses: new Map([[500, 1]]), transportErrors: 1 };
    const total = stepReport(mergeSamples([a, b]), 1);
    expect(total).toMatchObject({ requests: 4, errorRate: 0.5, errorsByStatus: { '500': 1, transport: 1 } });
    const text = formatReport({
      url: 'http://x',
      scenario: 'read',
      connections: 2,
      targetRps: 0,
      durationSeconds: 1,
      steps: [stepReport(a, 1), stepReport(b, 1)],
      total,
    });
    expect(text.split('\n')).toHaveLength(7);
    expect(text).toContain('500×1 transport×1');
    expect(text).toMatch(/success rate 50\.00 %$/);
  });
});
