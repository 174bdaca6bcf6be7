import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { DatabaseUrl, loadConfig } from '@app/platform';
import { testEnv, uniquePrefix } from '@app/testing';
import { startWorkerApp, RunningWorker } from '../../apps/worker/src/bootstrap';
import { MAX_JSON_DEPTH } from '../../apps/api/src/http/json-body';
import { bearer, expectProblem, register, registerAdmin, uniqueEmail, PASSWORD } from '../auth/auth-helpers';
import { createStrategy, SMA_CROSS } from '../support/backtest-fixtures';
import { createTestApi, TestApi } from '../support/test-app';

const ENCRYPTION_KEY = 'a'.repeat(64);

/** Writes `chunks` to a raw connection (pausing `pauseMs` after each) and resolves with all it read once closed. */
function rawExchange(port: number, chunks: string[], pauseMs = 0): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
    const send = (i: number): void => {
      if (i >= chunks.length || socket.destroyed) return;
      socket.write(chunks[i]);
      if (pauseMs > 0) setTimeout(() => send(i + 1), pauseMs);
      else send(i + 1);
    };
    socket.on('connect', () => send(0));
  });
}

/** Status and JSON body of a raw HTTP/1.1 answer. */
function parseRaw(raw: string): { status: number; contentType: string; body: any } {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /\r\ncontent-type: *([^\r\n]+)/i.exec(head)?.[1] ?? '';
  const text = rest.join('\r\n\r\n');
  return { status, contentType, body: text ? JSON.parse(text) : undefined };
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('HTTP edge', () => {
  let api: TestApi;
  let token: string;
  let adminToken: string;

  beforeAll(async () => {
    api = await createTestApi({ env: { ENCRYPTION_KEY } });
    token = (await register(api)).accessToken;
    adminToken = (await registerAdmin(api)).accessToken;
  });
  afterAll(async () => {
    await api.close();
  });

  describe('deeply nested JSON', () => {
    const deepRoutes = [
      ['/api/v1/auth/register', false],
      ['/api/v1/auth/login', false],
      ['/api/v1/auth/refresh', false],
      ['/api/v1/strategies', true],
    ] as const;

    it.each(deepRoutes)('refuses a 10,000-level array on %s with 400 before validation', async (url, authed) => {
      for (const payload of [nested(10_000), `{"email":${nested(10_000)}}`]) {
        const res = await api.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', ...(authed ? bearer(token) : {}) },
          payload,
        });
        expect(expectProblem(res, 400, 'BODY_TOO_DEEP')).toMatchObject({ maxDepth: MAX_JSON_DEPTH });
      }
    });

    it('refuses a 1 MB nested body', async () => {
      const res = await api.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: nested(500_000).slice(0, 1024 * 1024 - 16),
      });
      expectProblem(res, 400, 'BODY_TOO_DEEP');
    });

    it('counts brackets inside strings as text, and takes the deepest definition the engine accepts', async () => {
      const inString = { name: '['.repeat(120), description: '{'.repeat(2000), definition: SMA_CROSS };
      const res = await api.inject({
        method: 'POST',
        url: '/api/v1/strategies',
        headers: bearer(token),
        payload: inString,
      });
      expect(res.statusCode).toBe(201);
      // 32 nested `all` groups: the engine's deepest condition, about 70 JSON levels.
      let condition: object = SMA_CROSS.entry.long;
      for (let i = 0; i < 31; i++) condition = { all: [condition] };
      const deep = { ...SMA_CROSS, entry: { ...SMA_CROSS.entry, long: condition } };
      const ok = await api.inject({
        method: 'POST',
        url: '/api/v1/strategies',
        headers: bearer(token),
        payload: { name: 'deep', definition: deep },
      });
      expect(ok.statusCode).toBe(201);
    });
  });

  describe('one rule for text', () => {
    const NUL = 'a\u0000b';
    const LONE = 'x\ud800y';

    it.each([
      ['register email', '/api/v1/auth/register', { email: `a\u0000b@desk.example.com`, password: PASSWORD }, 'email'],
      [
        'register email (lone surrogate)',
        '/api/v1/auth/register',
        { email: `a\ud800@x.com`, password: PASSWORD },
        'email',
      ],
      ['login email', '/api/v1/auth/login', { email: `a\u0000b@desk.example.com`, password: PASSWORD }, 'email'],
      ['login email (lone surrogate)', '/api/v1/auth/login', { email: `\udc00@x.com`, password: PASSWORD }, 'email'],
      ['login password', '/api/v1/auth/login', { email: uniqueEmail(), password: LONE }, 'password'],
    ])('answers 400 for a bad %s, unauthenticated', async (_label, url, payload, field) => {
      const res = await api.inject({ method: 'POST', url, payload });
      expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors).toEqual([
        { field, message: expect.stringMatching(/^must be valid text/) },
      ]);
    });

    it.each([
      ['API-key name', '/api/v1/auth/api-keys', { name: NUL }, 'name'],
      [
        'credential label',
        '/api/v1/auth/exchange-credentials',
        { exchange: 'binance', label: NUL, apiKey: 'k'.repeat(16), secret: 's'.repeat(16) },
        'label',
      ],
      ['strategy name', '/api/v1/strategies', { name: NUL, definition: SMA_CROSS }, 'name'],
      [
        'strategy description',
        '/api/v1/strategies',
        { name: 'n', description: LONE, definition: SMA_CROSS },
        'description',
      ],
      [
        'key inside a definition',
        '/api/v1/strategies',
        { name: 'n', definition: { ...SMA_CROSS, ['k\u0000']: 1 } },
        'definition."k\\u0000"',
      ],
    ])('answers 400 for a bad %s', async (_label, url, payload, field) => {
      const res = await api.inject({ method: 'POST', url, headers: bearer(token), payload });
      expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors).toEqual([
        { field, message: expect.stringMatching(/^must be valid text/) },
      ]);
    });

    it('answers 400 for NUL in a query parameter or a path parameter', async () => {
      for (const query of ['quote=US%00D', 'base=%00', 'exchange=demo&symbol=BTC%00']) {
        const res = await api.inject({ url: `/api/v1/market/instruments?${query}`, headers: bearer(token) });
        expectProblem(res, 400, 'VALIDATION_FAILED');
      }
      const ticker = await api.inject({
        url: '/api/v1/market/ticker?exchange=demo&symbol=BTC%00USD',
        headers: bearer(token),
      });
      expect(expectProblem(ticker, 400, 'VALIDATION_FAILED').errors).toEqual([
        { field: 'symbol', message: expect.stringMatching(/^must be valid text/) },
      ]);
      const path = await api.inject({ url: '/api/v1/strategies/a%00b', headers: bearer(token) });
      expect(expectProblem(path, 400, 'VALIDATION_FAILED').errors[0].field).toBe('id');
    });

    it('leaves no audit gap: a refused login is refused before it is attempted', async () => {
      const db = api.app.get(DataSource);
      const [{ before }] = await db.query(`SELECT count(*)::int AS before FROM audit_events`);
      const res = await api.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: '\ud800', password: 'x' },
      });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      const [{ after }] = await db.query(`SELECT count(*)::int AS after FROM audit_events`);
      expect(after).toBe(before);
    });
  });

  describe('times and integers within what PostgreSQL and the engine accept', () => {
    it.each(['99999999999999999999', '253402300800000', '+275760-09-13T00:00:00Z'])(
      'answers 400 for from=%s on market reads',
      async (from) => {
        const res = await api.inject({
          url: `/api/v1/market/candles?exchange=demo&symbol=BTC/USD&timeframe=1m&from=${encodeURIComponent(from)}`,
          headers: bearer(token),
        });
        expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors).toEqual([
          { field: 'from', message: expect.stringContaining('9999-12-31') },
        ]);
      },
    );

    it('answers 400 for an out-of-range backtest time or version', async () => {
      const strategyId = await createStrategy(api, token);
      const base = {
        strategyId,
        exchange: 'demo',
        symbol: 'BTC/USD',
        timeframe: '1h',
        from: '2024-01-01T00:00:00Z',
        to: '2024-02-01T00:00:00Z',
        initialCapital: 1000,
      };
      const submit = (payload: object) =>
        api.inject({ method: 'POST', url: '/api/v1/tiered-backtests', headers: bearer(token), payload });
      const to = await submit({ ...base, to: 99999999999999999999 });
      expect(expectProblem(to, 400, 'VALIDATION_FAILED').errors.map((e: { field: string }) => e.field)).toEqual(['to']);
      const version = await submit({ ...base, version: 2147483648 });
      expect(expectProblem(version, 400, 'VALIDATION_FAILED').errors.map((e: { field: string }) => e.field)).toEqual([
        'version',
      ]);
    });

    it('answers 400 for an API-key expiry past year 9999 or before 1970', async () => {
      for (const expiresAt of ['+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00.000Z']) {
        const res = await api.inject({
          method: 'POST',
          url: '/api/v1/auth/api-keys',
          headers: bearer(token),
          payload: { name: 'k', expiresAt },
        });
        expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors[0].field).toBe('expiresAt');
      }
    });
  });

  describe('multipart uploads', () => {
    const upload = (contentType: string, payload: string) =>
      api.inject({
        method: 'POST',
        url: '/api/v1/market/imports',
        headers: { 'content-type': contentType, ...bearer(adminToken) },
        payload,
      });
    const part = (boundary: string, name: string, value: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

    it('answers 400 without a usable boundary', async () => {
      for (const contentType of [
        'multipart/form-data',
        'multipart/form-data; boundary=',
        `multipart/form-data; boundary=${'b'.repeat(300)}`,
      ]) {
        expectProblem(await upload(contentType, 'x'), 400, 'MARKET_IMPORT_UPLOAD_INVALID');
      }
    });

    it('answers 400 for a body cut short, in the fields or in the file', async () => {
      const b = 'cut';
      expectProblem(
        await upload(`multipart/form-data; boundary=${b}`, `--${b}\r\nContent-Disp`),
        400,
        'MARKET_IMPORT_UPLOAD_INVALID',
      );
      const file =
        part(b, 'exchange', 'cut') +
        part(b, 'symbol', 'CUT/USD') +
        `--${b}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n1700000000000,1,2,0.5,1.5,10\n`;
      const res = await upload(`multipart/form-data; boundary=${b}`, file);
      expectProblem(res, 400, 'MARKET_IMPORT_UPLOAD_INVALID');
    });

    it('answers 400 for NUL in a form field', async () => {
      const b = 'nul';
      const body = part(b, 'exchange', 'de\u0000mo') + `--${b}--\r\n`;
      const res = await upload(`multipart/form-data; boundary=${b}`, body);
      expect(expectProblem(res, 400, 'MARKET_INVALID_REQUEST').errors[0].field).toBe('exchange');
    });
  });

  describe('errors before any route', () => {
    it('answers a malformed percent-encoding with problem details', async () => {
      const res = await api.inject({ url: '/%ff' });
      expectProblem(res, 400, 'MALFORMED_URL');
      expect(res.headers['x-request-id']).toBeDefined();
    });

    it('answers an over-long path parameter with 414 problem details, not echoing the URL', async () => {
      const long = 'z'.repeat(250);
      const res = await api.inject({ url: `/api/v1/strategies/${long}`, headers: bearer(token) });
      expectProblem(res, 414, 'URI_TOO_LONG');
      expect(res.body).not.toContain(long);
    });
  });

  describe('on a real socket', () => {
    let slow: TestApi;
    let port: number;

    beforeAll(async () => {
      slow = await createTestApi({
        env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_IDLE_TIMEOUT_MS: '1000' },
      });
      await slow.app.listen({ port: 0, host: '127.0.0.1' });
      port = (slow.app.getHttpServer().address() as AddressInfo).port;
    });
    afterAll(async () => {
      await slow.close();
    });

    it('answers 408 problem details and closes the connection when a body stalls', async () => {
      const raw = await rawExchange(port, [
        'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":',
      ]);
      const res = parseRaw(raw);
      expect(res).toMatchObject({
        status: 408,
        contentType: expect.stringMatching(/^application\/problem\+json/),
        body: { code: 'REQUEST_TIMEOUT' },
      });
    });

    it('closes a connection whose headers never end (slowloris)', async () => {
      const raw = await rawExchange(port, ['GET /health HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 1\r\n'], 400);
      expect(parseRaw(raw)).toMatchObject({
        status: 408,
        contentType: expect.stringMatching(/^application\/problem\+json/),
      });
    });

    it('answers a request line over 16 KB with 431 problem details', async () => {
      const raw = await rawExchange(port, [
        `GET /api/v1/strategies?q=${'a'.repeat(17 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      ]);
      expect(parseRaw(raw)).toMatchObject({
        status: 431,
        contentType: expect.stringMatching(/^application\/problem\+json/),
        body: { code: 'HEADERS_TOO_LARGE', requestId: expect.any(String) },
      });
    });

    it('answers a request that is not HTTP with 400 problem details', async () => {
      const raw = await rawExchange(port, ['HELLO\r\n\r\n']);
      expect(parseRaw(raw)).toMatchObject({
        status: 400,
        contentType: expect.stringMatching(/^application\/problem\+json/),
      });
    });

    it('still serves after all of that', async () => {
      const raw = await rawExchange(port, ['GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
      expect(parseRaw(raw).status).toBe(200);
    });
  });

  describe("the worker's probe port", () => {
    let worker: RunningWorker;
    let port: number;

    beforeAll(async () => {
      port = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, '127.0.0.1', () => {
          const { port: free } = probe.address() as AddressInfo;
          probe.close(() => resolve(free));
        });
      });
      const config = loadConfig(
        testEnv({ WORKER_HEALTH_PORT: String(port), METRICS_TOKEN: 'probe-token', QUEUE_PREFIX: uniquePrefix('edge') }),
      );
      worker = await startWorkerApp(config, DatabaseUrl.from(config), { healthServer: true });
    });
    afterAll(async () => {
      await worker.close();
    });

    it.each([
      ['an unknown path', 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, 'ROUTE_NOT_FOUND'],
      ['a malformed URL', 'GET /%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'MALFORMED_URL'],
      [
        'a missing metrics token',
        'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        401,
        'UNAUTHENTICATED',
      ],
      [
        'a request line over 16 KB',
        `GET /${'a'.repeat(17 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        431,
        'HEADERS_TOO_LARGE',
      ],
      ['a request that is not HTTP', 'HELLO\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ])('answers %s with problem details', async (_label, request, status, code) => {
      const res = parseRaw(await rawExchange(port, [request]));
      expect(res).toMatchObject({
        status,
        contentType: expect.stringMatching(/^application\/problem\+json/),
        body: { status, code },
      });
    });

    it('still answers its probes', async () => {
      const res = parseRaw(await rawExchange(port, ['GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']));
      expect(res.status).toBe(200);
    });
  });
});
