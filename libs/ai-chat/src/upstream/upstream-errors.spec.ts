import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { isUpstreamAbort, toUpstreamError } from './upstream-errors';

const body = (type: string) => ({ type: 'error', error: { type, message: 'upstream words' } });
const api = (status: number | undefined, type: string, headers: Record<string, string> = {}) =>
  APIError.generate(status, body(type), undefined, new Headers(headers));

describe('toUpstreamError', () => {
  it('maps 529 to AI_UPSTREAM_OVERLOADED (503) with the upstream Retry-After', () => {
    const err = toUpstreamError(api(529, 'overloaded_error', { 'retry-after': '7' }));
    expect({ code: err.code, kind: err.kind, ext: err.extensions }).toEqual({
      code: 'AI_UPSTREAM_OVERLOADED',
      kind: 'unavailable',
      ext: { retryAfterSeconds: 7 },
    });
  });

  it('maps an overloaded error event mid-stream (no status) to AI_UPSTREAM_OVERLOADED', () => {
    // As the SDK raises an `event: error` of a stream that had already begun.
    const midStream = new APIError(undefined, body('overloaded_error'), undefined, new Headers(), 'overloaded_error');
    expect(toUpstreamError(midStream).code).toBe('AI_UPSTREAM_OVERLOADED');
  });

  it('maps 429 to AI_UPSTREAM_RATE_LIMITED (503)', () => {
    const err = toUpstreamError(api(429, 'rate_limit_error'));
    expect([err.code, err.kind, err.extensions]).toEqual(['AI_UPSTREAM_RATE_LIMITED', 'unavailable', {}]);
  });

  it('maps 500 and other 5xx to AI_UPSTREAM_ERROR (502)', () => {
    for (const status of [500, 502, 503]) {
      const err = toUpstreamError(api(status, 'api_error'));
      expect([err.code, err.kind]).toEqual(['AI_UPSTREAM_ERROR', 'bad_gateway']);
    }
  });

  it('maps timeouts to AI_UPSTREAM_TIMEOUT (504)', () => {
    expect(toUpstreamError(new APIConnectionTimeoutError()).kind).toBe('gateway_timeout');
    expect(toUpstreamError(api(504, 'timeout_error')).code).toBe('AI_UPSTREAM_TIMEOUT');
  });

  it('maps connection failures and refused requests to AI_UPSTREAM_ERROR without upstream wording', () => {
    const refused = toUpstreamError(api(401, 'authentication_error'));
    expect([refused.code, refused.extensions]).toEqual(['AI_UPSTREAM_ERROR', { upstreamStatus: 401 }]);
    expect(refused.message).not.toContain('upstream words');
    expect(toUpstreamError(new APIConnectionError({ message: 'ECONNREFUSED' })).code).toBe('AI_UPSTREAM_ERROR');
  });

  it('maps anything else to AI_UPSTREAM_ERROR', () => {
    expect(toUpstreamError(new Error('boom')).code).toBe('AI_UPSTREAM_ERROR');
  });
});

describe('isUpstreamAbort', () => {
  it('recognises the SDK abort and a DOM AbortError', () => {
    expect(isUpstreamAbort(new APIUserAbortError())).toBe(true);
    expect(isUpstreamAbort(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(true);
    expect(isUpstreamAbort(new Error('other'))).toBe(false);
  });
});
