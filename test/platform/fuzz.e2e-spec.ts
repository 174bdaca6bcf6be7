import { performance } from 'node:perf_hooks';
import type { InjectOptions } from 'fastify';
import { FakeAnthropic } from '../support/fake-anthropic';
import { createTestApi, TestApi } from '../support/test-app';
import { bearer, login, register, registerAdmin, Session, uniqueEmail, PASSWORD } from '../auth/auth-helpers';
import { uniquePrefix } from '@app/testing';
import { createStrategy, SMA_CROSS, storeSyntheticCandles } from '../support/backtest-fixtures';

/**
 * Drives every operation of the app's own OpenAPI document with malformed
 * path, query and body values and asserts what the edge promises: no 5xx,
 * every error is problem details, no request takes over 5 s, and the API is
 * alive and ready at the end. Cases come from a seeded generator, so a
 * failure names a case that the next run repeats.
 */

const SEED = 0x5eed_2026;
const SLOW_MS = 5_000;

/** mulberry32: small, seeded, good enough to pick cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nestedArray = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};
const nestedObject = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

const INJECTIONS = [
  "' OR '1'='1' --",
  '"; DROP TABLE users; --',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '../../../../etc/passwd',
  '%00%ff%2e%2e',
  '\\u0000',
  '$where',
  'constructor',
  '__proto__',
];

/** Values of the wrong type, size, range or text for a JSON field. */
const BODY_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  -0.0001,
  2147483648,
  -2147483649,
  9007199254740993,
  1e308,
  -1e308,
  99999999999999999999,
  '',
  ' ',
  'x'.repeat(70_000),
  'a\u0000b',
  '\u0000',
  'x\ud800y',
  '\udfff',
  '\ud83d\ude00',
  '99999999999999999999',
  '-99999999999999999999',
  'NaN',
  'Infinity',
  '1e999',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '9999-99-99',
  '2024-02-30T25:61:61Z',
  '00000000-0000-0000-0000-000000000000',
  [],
  [1, 'a', null],
  {},
  { $gt: '' },
  nestedArray(60),
  nestedObject(60),
  ...INJECTIONS,
];

/** Raw JSON bodies that are not a plain object of fields, or are not JSON at all. */
const RAW_BODIES: Array<{ label: string; contentType?: string; payload: string | Buffer }> = [
  { label: 'array', payload: '[]' },
  { label: 'string', payload: '"text"' },
  { label: 'number', payload: '42' },
  { label: 'null', payload: 'null' },
  { label: 'empty', payload: '' },
  { label: 'truncated', payload: '{"a":' },
  { label: 'trailing garbage', payload: '{} x' },
  { label: 'proto key', payload: '{"__proto__":{"role":"admin"}}' },
  { label: 'constructor key', payload: '{"constructor":{"prototype":{"role":"admin"}}}' },
  { label: 'nested proto key', payload: '{"definition":{"__proto__":{"x":1}}}' },
  { label: '10,000 deep array', payload: '['.repeat(10_000) + ']'.repeat(10_000) },
  { label: '5,000 deep object', payload: '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000) },
  { label: 'invalid UTF-8', payload: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
  { label: 'UTF-16 body', contentType: 'application/json; charset=utf-16', payload: Buffer.from('{"a":1}', 'utf16le') },
  { label: 'text/plain', contentType: 'text/plain', payload: 'hello' },
  { label: 'xml', contentType: 'application/xml', payload: '<a>1</a>' },
  { label: 'form', contentType: 'application/x-www-form-urlencoded', payload: 'a=1&__proto__=x&email=a%00b' },
  { label: 'multipart without boundary', contentType: 'multipart/form-data', payload: 'x' },
  {
    label: 'multipart cut short',
    contentType: 'multipart/form-data; boundary=zz',
    payload: '--zz\r\nContent-Disposition: form-data; name="exchange"\r\n\r\nab',
  },
  { label: 'garbage content type', contentType: ';;;/', payload: '{}' },
  { label: 'content type with bad params', contentType: 'application/json; charset', payload: '{}' },
];

/** Values for a query parameter (strings; a repeated key becomes an array). */
const QUERY_VALUES: string[] = [
  '',
  '-1',
  '0',
  '1.5',
  '2147483648',
  '99999999999999999999',
  '1e999',
  'NaN',
  'true',
  'x'.repeat(5_000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01',
  '9999-99-99',
  '[object Object]',
  ...INJECTIONS,
];

/** Values for a path parameter, already encoded as they go into the URL. */
const PATH_VALUES: string[] = [
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'not-a-uuid',
  '-1',
  '99999999999999999999',
  '%00',
  'a%00b',
  '%ff',
  '%ED%A0%80',
  '%F0%9F%98%80',
  '..%2F..%2Fetc',
  "'%20OR%201=1",
  'z'.repeat(199),
  'z'.repeat(201),
  '%20',
];

/** encodeURIComponent, but a lone surrogate goes out as the bytes a sloppy client would send (WTF-8). */
function encode(text: string): string {
  return text.replace(/[\s\S]/gu, (ch) => {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    }
    return encodeURIComponent(ch);
  });
}

const asQueryValue = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'x';

interface Operation {
  method: string;
  path: string;
  operationId: string;
  pathParams: string[];
  query: Array<{ name: string; schema: Schema }>;
  body?: Schema;
  multipart: boolean;
}

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  format?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
}

type Doc = {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
};

function resolve(doc: Doc, schema: Schema | undefined, depth = 0): Schema | undefined {
  if (!schema || depth > 10) return schema;
  if (schema.$ref) return resolve(doc, doc.components?.schemas?.[schema.$ref.split('/').pop()!], depth + 1);
  if (schema.allOf) {
    const parts = schema.allOf.map((s) => resolve(doc, s, depth + 1) ?? {});
    return {
      type: 'object',
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
      required: parts.flatMap((p) => p.required ?? []),
    };
  }
  return schema;
}

/** Real values for fields of these names (stored market data, an own strategy), so cases get past the lookups. */
const known: Record<string, unknown> = {};

/** A plausible valid value for a schema, so that one field at a time can be broken. */
function sample(doc: Doc, raw: Schema | undefined, name = '', depth = 0): unknown {
  if (name in known) return known[name];
  const schema = resolve(doc, raw) ?? {};
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  if (name === 'definition') return SMA_CROSS;
  if (name === 'email') return uniqueEmail('fuzz');
  if (/password/i.test(name)) return PASSWORD;
  switch (schema.type ?? 'string') {
    case 'integer':
    case 'number':
      return schema.minimum !== undefined ? Math.max(schema.minimum, 1) : 1;
    case 'boolean':
      return true;
    case 'array':
      return depth > 4 ? [] : [sample(doc, schema.items, name, depth + 1)];
    case 'object': {
      if (depth > 4) return {};
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(schema.properties ?? {})) out[key] = sample(doc, prop, key, depth + 1);
      return out;
    }
    default:
      if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      if (schema.format === 'date-time') return '2030-01-01T00:00:00Z';
      return 'sample';
  }
}

function operations(doc: Doc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: Array<{ in: string; name: string; schema: Schema }> = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      ops.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId ?? `${method} ${path}`,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
        body: content['application/json']?.schema ?? content['multipart/form-data']?.schema,
        multipart: 'multipart/form-data' in content,
      });
    }
  }
  return ops;
}

interface Finding {
  case: string;
  status: number;
  contentType: string;
  ms: number;
  body: string;
}

describe('fuzz: every operation of the OpenAPI document', () => {
  let api: TestApi;
  let fake: FakeAnthropic;
  let user: Session;
  let admin: Session;
  let doc: Doc;
  /** A real id for the `{id}` of paths under each prefix. */
  let ids: Record<string, string> = {};

  beforeAll(async () => {
    fake = await FakeAnthropic.start();
    api = await createTestApi({
      env: {
        ENCRYPTION_KEY: 'b'.repeat(64),
        ANTHROPIC_API_KEY: fake.apiKey,
        ANTHROPIC_BASE_URL: fake.url,
        AI_MAX_RETRIES: '0',
        // Password hashing at its cheapest: the fuzz sends hundreds of logins, and their cost is not under test.
        ARGON2_MEMORY_KIB: '1024',
        ARGON2_TIME_COST: '1',
        LOG_LEVEL: 'error',
        THROTTLE_AI_CHAT_LIMIT: '1000000',
        THROTTLE_MARKET_DATA_LIMIT: '1000000',
      },
    });
    user = await register(api);
    admin = await registerAdmin(api);
    doc = (await api.inject('/docs-json')).json();
    const exchange = `fz${uniquePrefix('f').slice(-6)}`.toLowerCase();
    const range = await storeSyntheticCandles(api, exchange, 'FZ/USD', 3 * 1440);
    Object.assign(known, {
      exchange,
      symbol: 'FZ/USD',
      timeframe: '1h',
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      strategyId: await createStrategy(api, user.accessToken),
    });
    const session = await api.inject({
      method: 'POST',
      url: '/api/v1/ai/sessions',
      headers: bearer(user.accessToken),
      payload: { title: 'fuzz' },
    });
    const backtest = await api.inject({
      method: 'POST',
      url: '/api/v1/tiered-backtests',
      headers: bearer(user.accessToken),
      payload: { ...known, initialCapital: 1000 },
    });
    for (const res of [session, backtest])
      if (res.statusCode >= 300) throw new Error(`set-up: ${res.statusCode} ${res.body}`);
    ids = {
      '/api/v1/strategies/': known.strategyId as string,
      '/api/v1/ai/sessions/': session.json().id,
      '/api/v1/tiered-backtests/': backtest.json().id,
    };
  });
  afterAll(async () => {
    await api.close();
    await fake.close();
  });

  it('answers every malformed request with a 4xx problem, fast, and stays alive and ready', async () => {
    const random = rng(SEED);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(40);

    // Operations that end the caller's session get a session of their own, renewed when it ends.
    const victimEmail = uniqueEmail('fuzz-victim');
    let victim = await register(api, victimEmail);
    const endsSession = (op: Operation) => /\/auth\/(logout|password)$/.test(op.path);
    const needsAdmin = (op: Operation) => /\/admin\/|\/market\/imports/.test(op.path);

    const findings: Finding[] = [];
    const byStatus = new Map<number, number>();
    let requests = 0;
    let serverErrors = 0;
    let nonProblemErrors = 0;
    let slow = 0;

    const send = async (op: Operation, label: string, options: InjectOptions) => {
      const token = endsSession(op) ? victim.accessToken : needsAdmin(op) ? admin.accessToken : user.accessToken;
      const started = performance.now();
      const res = await api.inject({ ...options, headers: { ...bearer(token), ...(options.headers ?? {}) } });
      const ms = performance.now() - started;
      requests++;
      byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1);
      const contentType = String(res.headers['content-type'] ?? '');
      const problem = /^application\/problem\+json/.test(contentType);
      const bad = res.statusCode >= 500 || (res.statusCode >= 400 && !problem) || ms > SLOW_MS;
      if (res.statusCode >= 500) serverErrors++;
      if (res.statusCode >= 400 && !problem) nonProblemErrors++;
      if (ms > SLOW_MS) slow++;
      if (bad) {
        findings.push({
          case: `${op.method} ${op.path} ${label}`,
          status: res.statusCode,
          contentType,
          ms: Math.round(ms),
          body: res.body.slice(0, 200),
        });
      }
      if (endsSession(op) && res.statusCode < 300) victim = await login(api, victimEmail);
      if (op.path.endsWith('/auth/password') && res.statusCode < 300) {
        // A successful change would lock the victim out; it is never sent with the current password below.
        throw new Error('the fuzz changed a password');
      }
    };

    for (const op of ops) {
      // A real id where one exists; never for DELETE, which would take it away from the cases after, nor
      // for a stream of server-sent events, which stays open while its backtest waits for a worker.
      const own = Object.entries(ids).find(([prefix]) => op.path.startsWith(`${prefix}{id}`))?.[1];
      const realId = op.method !== 'DELETE' && !op.path.endsWith('/events') ? own : undefined;
      const pathValues = Object.fromEntries(
        op.pathParams.map((p) => [p, p === 'id' && realId ? realId : '00000000-0000-4000-8000-000000000000']),
      );
      const url = (values: Record<string, string>, query = '') =>
        op.path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? 'x') + (query ? `?${query}` : '');
      const baseQuery = Object.fromEntries(
        op.query.map((q) => [q.name, asQueryValue(sample(doc, q.schema, q.name))] as const),
      );
      const qs = (values: Record<string, string | string[]>) =>
        Object.entries(values)
          .flatMap(([k, v]) => [v].flat().map((one) => `${encode(k)}=${encode(one)}`))
          .join('&');
      const bodySchema = resolve(doc, op.body);
      const baseBody = op.body && !op.multipart ? (sample(doc, bodySchema) as Record<string, unknown>) : undefined;
      // The current password is never sent, so a password change never succeeds.
      if (baseBody && op.path.endsWith('/auth/password')) baseBody.currentPassword = 'not-the-password-0000';
      const withBody = (payload: unknown) =>
        payload === undefined
          ? {}
          : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } };

      // Path parameters: every variant for each parameter.
      for (const param of op.pathParams) {
        for (const value of PATH_VALUES) {
          await send(op, `path ${param}=${value.slice(0, 20)}`, {
            method: op.method,
            url: url({ ...pathValues, [param]: value }, qs(baseQuery)),
            ...withBody(baseBody),
          });
        }
      }
      // Query parameters: each one broken in turn, sent twice (an array), and unknown ones.
      for (const q of op.query) {
        for (const value of QUERY_VALUES) {
          await send(op, `query ${q.name}=${JSON.stringify(value.slice(0, 20))}`, {
            method: op.method,
            url: url(pathValues, qs({ ...baseQuery, [q.name]: value })),
            ...withBody(baseBody),
          });
        }
        await send(op, `query ${q.name} twice`, {
          method: op.method,
          url: url(pathValues, qs({ ...baseQuery, [q.name]: [pick(QUERY_VALUES), pick(QUERY_VALUES)] })),
          ...withBody(baseBody),
        });
      }
      for (const extra of ['__proto__', 'constructor', 'x\u0000', 'a[b]']) {
        await send(op, `query unknown ${JSON.stringify(extra)}`, {
          method: op.method,
          url: url(pathValues, qs({ ...baseQuery, [extra]: '1' })),
          ...withBody(baseBody),
        });
      }
      // Bodies: each field broken in turn, fields of the wrong name, and whole bodies of the wrong shape.
      if (op.body || ['POST', 'PUT', 'PATCH'].includes(op.method)) {
        const fields = Object.keys(bodySchema?.properties ?? {});
        for (const field of fields) {
          for (const value of BODY_VALUES) {
            const base = op.multipart ? {} : (baseBody ?? {});
            await send(op, `body ${field}=${JSON.stringify(value)?.slice(0, 20)}`, {
              method: op.method,
              url: url(pathValues, qs(baseQuery)),
              ...withBody({ ...base, [field]: value }),
            });
          }
        }
        for (let i = 0; i < 5; i++) {
          const key = pick(['__proto__', 'constructor', 'prototype', 'k\u0000', '\ud800', 'x'.repeat(1000), '$where']);
          await send(op, `body extra key ${JSON.stringify(key).slice(0, 20)}`, {
            method: op.method,
            url: url(pathValues, qs(baseQuery)),
            payload: `{${JSON.stringify(key)}:${JSON.stringify(pick(BODY_VALUES))}}`,
            headers: { 'content-type': 'application/json' },
          });
        }
        for (const raw of RAW_BODIES) {
          await send(op, `raw body ${raw.label}`, {
            method: op.method,
            url: url(pathValues, qs(baseQuery)),
            payload: raw.payload,
            headers: { 'content-type': raw.contentType ?? 'application/json' },
          });
        }
      }
    }

    const health = await api.inject('/health');
    const ready = await api.inject('/health/ready');
    const summary = {
      seed: SEED,
      operations: ops.length,
      requests,
      serverErrors,
      nonProblemErrors,
      slow,
      byStatus: Object.fromEntries([...byStatus].sort(([a], [b]) => a - b)),
    };
    process.stdout.write(`fuzz: ${JSON.stringify(summary)}\n`);
    expect(findings).toEqual([]);
    expect({ health: health.statusCode, ready: ready.statusCode }).toEqual({ health: 200, ready: 200 });
  }, 120_000);
});
