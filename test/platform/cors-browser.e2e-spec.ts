import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { bearer, JWT_SECRET, register } from '../auth/auth-helpers';
import { launchChromium, PageServer, servePage } from '../support/chromium';
import { createTestApi, TestApi } from '../support/test-app';

interface Seen {
  status: number;
  requestId: string | null;
  headers: Record<string, string | null>;
  error?: string;
}

/**
 * A real browser on another origin calls the API as a frontend would: it
 * preflights PATCH and DELETE with Authorization and our own headers, and
 * reads the response headers the API exposes. Nothing here is simulated:
 * Chromium decides what the page may send and see.
 */
describe('CORS from a browser on another origin', () => {
  let page: PageServer;
  let stranger: PageServer;
  let api: TestApi;
  let apiBase: string;
  let browser: Browser;
  let token: string;

  beforeAll(async () => {
    page = await servePage('<!doctype html><title>desk</title>');
    // Same page, an origin the API does not list.
    stranger = await servePage('<!doctype html><title>elsewhere</title>', '127.0.0.1');
    api = await createTestApi({ env: { JWT_SECRET, CORS_ORIGINS: page.origin } });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    apiBase = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}/api/v1`;
    token = (await register(api)).accessToken;
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await page?.close();
    await stranger?.close();
  });

  /** Runs `calls` as the page's script in a fresh tab opened on `origin`. */
  async function fromPage(origin: string, calls: Array<{ method: string; path: string; body?: unknown }>) {
    const tab = await browser.newPage();
    try {
      await tab.goto(origin);
      return await tab.evaluate(
        async ({ base, token, calls }) => {
          const exposed = ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'etag'];
          const seen: Seen[] = [];
          for (const call of calls) {
            try {
              const res = await fetch(base + call.path, {
                method: call.method,
                headers: {
                  authorization: `Bearer ${token}`,
                  'x-request-id': `browser-${call.method.toLowerCase()}-${seen.length}`,
                  'idempotency-key': `browser-${seen.length}`,
                  ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
                },
                body: call.body === undefined ? undefined : JSON.stringify(call.body),
              });
              const headers: Record<string, string | null> = {};
              for (const name of exposed) headers[name] = res.headers.get(name);
              seen.push({ status: res.status, requestId: res.headers.get('x-request-id'), headers });
            } catch (err) {
              seen.push({ status: 0, requestId: null, headers: {}, error: String(err) });
            }
          }
          return seen;
        },
        { base: apiBase, token, calls },
      );
    } finally {
      await tab.close();
    }
  }

  it('lets the listed origin edit, delete and read with its headers, and see the exposed ones', async () => {
    const template = (await api.inject({ url: '/api/v1/strategies/templates', headers: bearer(token) })).json()
      .items[0];
    const created = await api.inject({
      method: 'POST',
      url: '/api/v1/strategies',
      headers: bearer(token),
      payload: { name: 'cors', definition: template.definition },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;

    const [patched, read, deleted, gone, cancel] = await fromPage(page.origin, [
      { method: 'PATCH', path: `/strategies/${id}`, body: { name: 'renamed in the browser' } },
      { method: 'GET', path: `/strategies/${id}` },
      { method: 'DELETE', path: `/strategies/${id}` },
      { method: 'GET', path: `/strategies/${id}` },
      { method: 'DELETE', path: '/tiered-backtests/00000000-0000-4000-8000-000000000000' },
    ]);
    expect(patched).toMatchObject({ status: 200, requestId: 'browser-patch-0' });
    expect(read).toMatchObject({ status: 200, requestId: 'browser-get-1' });
    expect(read.headers['x-ratelimit-limit']).toMatch(/^\d+$/);
    expect(deleted).toMatchObject({ status: 204, requestId: 'browser-delete-2' });
    expect(gone).toMatchObject({ status: 404, requestId: 'browser-get-3' });
    expect(cancel).toMatchObject({ status: 404, requestId: 'browser-delete-4' });
    const stored = await api.inject({ url: `/api/v1/strategies/${id}`, headers: bearer(token) });
    expect(stored.statusCode).toBe(404);
  });

  it('gives an origin that is not listed nothing to read', async () => {
    const [answer] = await fromPage(stranger.origin, [{ method: 'GET', path: '/auth/me' }]);
    expect(answer.status).toBe(0);
    expect(answer.error).toMatch(/Failed to fetch/);
  });
});
