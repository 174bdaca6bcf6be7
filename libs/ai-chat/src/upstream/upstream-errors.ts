import { AiUpstreamError } from '../ai-chat.errors';
import { anthropicSdk } from './anthropic-sdk';

export function isUpstreamAbort(err: unknown): boolean {
  const { APIUserAbortError } = anthropicSdk();
  return err instanceof APIUserAbortError || (err instanceof Error && err.name === 'AbortError');
}

function retryAfterSeconds(headers: unknown): number | undefined {
  const raw = headers instanceof Headers ? headers.get('retry-after') : null;
  const seconds = raw === null || raw === undefined ? NaN : Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.max(1, Math.ceil(seconds)) : undefined;
}

/**
 * The client-facing error for a model API failure that the SDK gave up on (after its bounded
 * retries). Upstream wording is not passed on: the codes say what happened, the logs say the rest.
 */
export function toUpstreamError(err: unknown): AiUpstreamError {
  if (err instanceof AiUpstreamError) return err;
  const { APIConnectionError, APIConnectionTimeoutError, APIError } = anthropicSdk();
  if (err instanceof APIConnectionTimeoutError) {
    return new AiUpstreamError('timeout', 'The AI service did not answer in time; try again.');
  }
  if (err instanceof APIConnectionError) {
    return new AiUpstreamError('error', 'The AI service could not be reached; try again shortly.');
  }
  if (err instanceof APIError) {
    const type = err.type ?? (err.error as { error?: { type?: string } } | undefined)?.error?.type ?? null;
    const wait = retryAfterSeconds(err.headers as unknown);
    const extra = wait === undefined ? {} : { retryAfterSeconds: wait };
    if (err.status === 529 || type === 'overloaded_error') {
      return new AiUpstreamError('overloaded', 'The AI service is overloaded; try again shortly.', extra);
    }
    if (err.status === 429 || type === 'rate_limit_error') {
      return new AiUpstreamError(
        'rate_limited',
        'The AI service is rate limiting this server; try again shortly.',
        extra,
      );
    }
    if (err.status === 408 || err.status === 504 || type === 'timeout_error') {
      return new AiUpstreamError('timeout', 'The AI service did not answer in time; try again.');
    }
    if (err.status === undefined || err.status >= 500) {
      return new AiUpstreamError('error', 'The AI service failed to answer; try again.', {
        upstreamStatus: err.status ?? null,
      });
    }
    return new AiUpstreamError('error', 'The AI service refused the request.', { upstreamStatus: err.status });
  }
  return new AiUpstreamError('error', 'The AI service failed to answer; try again.');
}
