import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { PinoLogger } from 'nestjs-pino';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { Public } from '../../apps/api/src/auth/auth.decorators';
import { createTestApi, TestApi } from '../support/test-app';

class EchoDto {
  @IsString()
  name!: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count!: number;
}

// A test-only route, outside the auth under test here.
@Public()
@Controller('probe')
class ProbeController {
  constructor(private readonly log: PinoLogger) {}

  /** The request id the logger of Nest code is bound to, read after the handler has awaited twice. */
  @Get('log-context')
  @ApiOkResponse()
  async logContext(): Promise<{ requestId: unknown }> {
    await sleep(5);
    await Promise.resolve();
    return { requestId: this.log.logger.bindings().requestId };
  }

  @Post('log-context')
  @ApiOkResponse()
  async logContextAfterBody(@Body() body: EchoDto): Promise<{ requestId: unknown; name: string }> {
    await sleep(5);
    return { requestId: this.log.logger.bindings().requestId, name: body.name };
  }

  @Post('echo')
  @ApiOkResponse()
  echo(@Body() body: EchoDto): EchoDto {
    return body;
  }

  /** Answers after 300 ms: long enough for a client to give up first. */
  @Get('slow')
  @ApiOkResponse()
  async slow(): Promise<{ done: true }> {
    await sleep(300);
    return { done: true };
  }

  @Get('boom')
  @ApiOkResponse()
  boom(): never {
    throw new Error('relation "secret_table" does not exist at /srv/app/x.ts:12');
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('HTTP platform', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await createTestApi({
      // The log context is on whatever the runtime (auto leaves it off before Node.js 24).
      env: { BODY_LIMIT: '2kb', CORS_ORIGINS: 'https://desk.example.com', LOG_REQUEST_CONTEXT: 'on' },
      extraModules: [ProbeModule],
    });
  });
  afterAll(async () => {
    await api.close();
  });

  const expectProblem = (res: { headers: Record<string, unknown>; json(): any }, status: number, code: string) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({
      status,
      code,
      type: expect.stringContaining('/problems/'),
      title: expect.any(String),
    });
    expect(typeof body.detail).toBe('string');
    expect(body.requestId).toBe(res.headers['x-request-id']);
    return body;
  };

  it('answers liveness at /health without the /api/v1 prefix', async () => {
    const res = await api.inject('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('echoes a sane X-Request-ID and generates one otherwise', async () => {
    const given = await api.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'desk-42.abc' } });
    expect(given.headers['x-request-id']).toBe('desk-42.abc');
    const generated = await api.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id\u0001' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('binds every log line of a request to its id, across awaits and after the body is read', async () => {
    const [get, post] = await Promise.all([
      api.inject({ method: 'GET', url: '/api/v1/probe/log-context', headers: { 'x-request-id': 'ctx-get-1' } }),
      api.inject({
        method: 'POST',
        url: '/api/v1/probe/log-context',
        headers: { 'x-request-id': 'ctx-post-1' },
        payload: { name: 'a', count: 1 },
      }),
    ]);
    expect(get.json()).toEqual({ requestId: 'ctx-get-1' });
    expect(post.json()).toEqual({ requestId: 'ctx-post-1', name: 'a' });
  });

  it('sets the REST security headers on API answers', async () => {
    const res = await api.inject('/api/v1/no-such-thing');
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'strict-transport-security': expect.stringContaining('max-age='),
    });
  });

  it('sets a document CSP that lets the Swagger UI load its own assets', async () => {
    const res = await api.inject('/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('allows only configured CORS origins', async () => {
    const allowed = await api.inject({
      method: 'OPTIONS',
      url: '/api/v1/probe/echo',
      headers: { origin: 'https://desk.example.com', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://desk.example.com');
    const denied = await api.inject({
      method: 'OPTIONS',
      url: '/api/v1/probe/echo',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers 404 problem details for an unknown route', async () => {
    const res = await api.inject('/api/v1/no-such-thing');
    expect(res.statusCode).toBe(404);
    expectProblem(res, 404, 'ROUTE_NOT_FOUND');
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "x", ',
    });
    expect(res.statusCode).toBe(400);
    expectProblem(res, 400, 'MALFORMED_BODY');
  });

  it('answers 413 for a body over BODY_LIMIT', async () => {
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(4096), count: 1 }),
    });
    expect(res.statusCode).toBe(413);
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 415 for an unsupported content type', async () => {
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(res.statusCode).toBe(415);
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects unknown fields and out-of-range values with field errors', async () => {
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      payload: { name: 'x', count: 11, admin: true },
    });
    expect(res.statusCode).toBe(400);
    const body = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { field: 'admin', message: 'unknown field' },
        { field: 'count', message: expect.stringContaining('10') },
      ]),
    );
  });

  it('passes valid bodies through transformed', async () => {
    const res = await api.inject({ method: 'POST', url: '/api/v1/probe/echo', payload: { name: 'x', count: 3 } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ name: 'x', count: 3 });
  });

  it('answers 500 without internals for an unexpected error', async () => {
    const res = await api.inject('/api/v1/probe/boom');
    expect(res.statusCode).toBe(500);
    const body = expectProblem(res, 500, 'INTERNAL_ERROR');
    expect(res.body).not.toMatch(/secret_table|\/srv\/app|at \w+/);
    expect(body.detail).toMatch(/unexpected/i);
  });

  it('counts a request whose client gave up as 499 and out of flight', async () => {
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/probe/slow' });
      req.on('error', () => resolve());
      setTimeout(() => req.destroy(), 50);
    });
    await sleep(400); // the handler has answered into the closed connection by now
    const metrics = (await api.inject('/metrics')).body;
    expect(metrics).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/probe\/slow",status_code="499"\} 1$/m,
    );
    expect(metrics).not.toMatch(/route="\/api\/v1\/probe\/slow",status_code="200"/);
    expect(metrics).toMatch(/^http_requests_in_flight 1$/m);
  });

  it('counts requests by route template in /metrics', async () => {
    await api.inject('/api/v1/no-such-thing');
    const res = await api.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health",status_code="200"\} \d+/,
    );
    expect(res.body).toMatch(/route="unmatched",status_code="404"/);
    expect(res.body).not.toContain('no-such-thing');
    expect(res.body).toContain('process_cpu_user_seconds_total');
    expect(res.body).toMatch(/db_pool_connections\{state="max"\} 5/);
    // the scrape itself is the one request in flight
    expect(res.body).toMatch(/^http_requests_in_flight 1$/m);
    expect(res.body).toMatch(/queue_jobs\{queue="system",state="waiting"\}/);
  });
});
