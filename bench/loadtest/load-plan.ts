/**
 * The pure half of `npm run loadtest`: flags, scenarios and the report's arithmetic. The
 * runner (loadtest.ts) does the I/O.
 */

export const SCENARIOS = ['read', 'auth', 'backtest', 'mixed'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface LoadOptions {
  url: string;
  scenario: ScenarioName;
  /** Requests per second over all steps; 0: as fast as the connections go. */
  rps: number;
  connections: number;
  durationSeconds: number;
  /** Users registered for the run; requests spread over their tokens (per-user rate limits). */
  users: number;
  json: boolean;
  out?: string;
  timeoutSeconds: number;
}

export class UsageError extends Error {}

export const USAGE = `usage: npm run loadtest -- --url URL [--scenario read|auth|backtest|mixed] [--rps N]
       [--connections C] [--duration S] [--users U] [--timeout S] [--json] [--out report.json]

  --url          the deployment's origin, e.g. https://api.example.com (the API prefix /api/v1 is added)
  --scenario     read (market candles, strategies, me), auth (login, me), backtest (submit, list, read),
                 mixed (reads of candles, strategies, the user and backtests; 1 % logins, 1 % submissions); default mixed
  --rps          total requests per second over all steps; 0 (default) runs unthrottled
  --connections  concurrent connections (default 100)
  --duration     seconds (default 30)
  --users        users registered for the run (default 20); per-user rate limits apply to each
  --timeout      seconds before a request counts as failed (default 10)
  --json         print the report as JSON (for CI) instead of a table; --out also writes it to a file`;

/** Parses the flags after `--`; throws UsageError with the reason. */
export function parseLoadArgs(argv: string[]): LoadOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument "${arg}"`);
    const [, name, inline] = m;
    if (name === 'json' || name === 'help') {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  if (flags.has('help')) throw new UsageError('');
  const known = new Set(['url', 'scenario', 'rps', 'connections', 'duration', 'users', 'timeout', 'out']);
  for (const name of values.keys()) if (!known.has(name)) throw new UsageError(`unknown flag --${name}`);

  const url = values.get('url');
  if (!url) throw new UsageError('--url is required');
  let origin: URL;
  try {
    origin = new URL(url);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  }
  if (!/^https?:$/.test(origin.protocol)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);

  const scenario = (values.get('scenario') ?? 'mixed') as ScenarioName;
  if (!SCENARIOS.includes(scenario)) {
    throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')}, got "${scenario}"`);
  }
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`--${name} must be an integer ${min}-${max}, got "${raw}"`);
    }
    return n;
  };
  return {
    url: origin.origin,
    scenario,
    rps: int('rps', 0, 0, 1_000_000),
    connections: int('connections', 100, 1, 100_000),
    durationSeconds: int('duration', 30, 1, 86_400),
    users: int('users', 20, 1, 10_000),
    timeoutSeconds: int('timeout', 10, 1, 600),
    json: flags.has('json'),
    out: values.get('out'),
  };
}

/** One kind of request of a scenario, with its share of the connections and of the rate. */
export interface StepPlan {
  step: StepName;
  weight: number;
}
export type StepName =
  | 'GET market/candles'
  | 'GET strategies'
  | 'GET auth/me'
  | 'POST auth/login'
  | 'POST tiered-backtests'
  | 'GET tiered-backtests'
  | 'GET tiered-backtests/:id';

export const SCENARIO_STEPS: Record<ScenarioName, StepPlan[]> = {
  read: [
    { step: 'GET market/candles', weight: 0.5 },
    { step: 'GET strategies', weight: 0.3 },
    { step: 'GET auth/me', weight: 0.2 },
  ],
  auth: [
    { step: 'POST auth/login', weight: 0.3 },
    { step: 'GET auth/me', weight: 0.7 },
  ],
  backtest: [
    { step: 'POST tiered-backtests', weight: 0.1 },
    { step: 'GET tiered-backtests', weight: 0.5 },
    { step: 'GET tiered-backtests/:id', weight: 0.4 },
  ],
  mixed: [
    // Logins (an argon2 hash each, by design slow) and submissions are rare in real traffic.
    { step: 'GET market/candles', weight: 0.35 },
    { step: 'GET strategies', weight: 0.2 },
    { step: 'GET auth/me', weight: 0.2 },
    { step: 'POST auth/login', weight: 0.01 },
    { step: 'POST tiered-backtests', weight: 0.01 },
    { step: 'GET tiered-backtests', weight: 0.13 },
    { step: 'GET tiered-backtests/:id', weight: 0.1 },
  ],
};

/**
 * Connections and rate of each step: every step gets at least one connection, the rest in
 * proportion to its weight (largest remainders first), so the totals are exactly the flags'.
 */
export function splitLoad(
  steps: StepPlan[],
  connections: number,
  rps: number,
): Array<StepPlan & { connections: number; rps: number }> {
  if (connections < steps.length) {
    throw new UsageError(`--connections must be at least ${steps.length} for this scenario (one per step)`);
  }
  const total = steps.reduce((s, x) => s + x.weight, 0);
  const spare = connections - steps.length;
  const exact = steps.map((s) => (spare * s.weight) / total);
  const counts = exact.map((e) => 1 + Math.floor(e));
  let left = connections - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    counts[i]++;
    left--;
  }
  return steps.map((s, i) => ({ ...s, connections: counts[i], rps: rps > 0 ? (rps * s.weight) / total : 0 }));
}

export interface StepSamples {
  step: string;
  /** Latency in milliseconds of every answered request. */
  latenciesMs: number[];
  statuses: Map<number, number>;
  /** Requests without an answer: timeouts, refused or reset connections. */
  transportErrors: number;
}

export interface StepReport {
  step: string;
  requests: number;
  throughputRps: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  errorRate: number;
  errorsByStatus: Record<string, number>;
}

export interface LoadReport {
  url: string;
  scenario: ScenarioName;
  connections: number;
  targetRps: number;
  durationSeconds: number;
  total: StepReport;
  steps: StepReport[];
}

/** The value below which `q` of the sorted samples lie (nearest rank). */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Answers below 400 succeed; every other status and every transport error is an error. */
export function stepReport(samples: StepSamples, seconds: number): StepReport {
  const sorted = Float64Array.from(samples.latenciesMs).sort();
  const list = Array.from(sorted);
  const answered = list.length;
  const requests = answered + samples.transportErrors;
  const errorsByStatus: Record<string, number> = {};
  let errors = samples.transportErrors;
  for (const [status, count] of [...samples.statuses].sort((a, b) => a[0] - b[0])) {
    if (status < 400) continue;
    errorsByStatus[String(status)] = count;
    errors += count;
  }
  if (samples.transportErrors > 0) errorsByStatus.transport = samples.transportErrors;
  return {
    step: samples.step,
    requests,
    throughputRps: round(requests / seconds, 1),
    latencyMs: {
      p50: round(percentile(list, 0.5)),
      p95: round(percentile(list, 0.95)),
      p99: round(percentile(list, 0.99)),
      max: round(list[answered - 1] ?? 0),
    },
    errorRate: requests === 0 ? 0 : round(errors / requests, 6),
    errorsByStatus,
  };
}

/** All steps' samples as one. */
export function mergeSamples(all: StepSamples[]): StepSamples {
  const statuses = new Map<number, number>();
  for (const s of all) for (const [k, v] of s.statuses) statuses.set(k, (statuses.get(k) ?? 0) + v);
  return {
    step: 'total',
    latenciesMs: all.flatMap((s) => s.latenciesMs),
    statuses,
    transportErrors: all.reduce((n, s) => n + s.transportErrors, 0),
  };
}

export function formatReport(r: LoadReport): string {
  const rows = [...r.steps, r.total].map((s) => [
    s.step,
    String(s.requests),
    s.throughputRps.toFixed(1),
    s.latencyMs.p50.toFixed(1),
    s.latencyMs.p95.toFixed(1),
    s.latencyMs.p99.toFixed(1),
    `${(s.errorRate * 100).toFixed(2)} %`,
    Object.entries(s.errorsByStatus)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ') || '-',
  ]);
  const head = ['step', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'errors by status'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    `${r.scenario} against ${r.url}: ${r.connections} connections, ${r.targetRps > 0 ? `${r.targetRps} req/s target` : 'unthrottled'}, ${r.durationSeconds} s`,
    line(head),
    ...rows.slice(0, -1).map(line),
    line(widths.map((w) => '-'.repeat(w))),
    line(rows[rows.length - 1]),
    `success rate ${((1 - r.total.errorRate) * 100).toFixed(2)} %`,
  ].join('\n');
}
