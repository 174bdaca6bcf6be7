import { Counter, Histogram } from 'prom-client';
import { onceMetric } from '@app/platform';

/** How a chat message ended: `completed`, `incomplete` (client left), `upstream_*`, or `error`. */
export type AiOutcome =
  | 'completed'
  | 'incomplete'
  | 'upstream_error'
  | 'upstream_overloaded'
  | 'upstream_rate_limited'
  | 'upstream_timeout'
  | 'error';

export const aiRequests = () =>
  onceMetric(
    'ai_requests_total',
    () =>
      new Counter({
        name: 'ai_requests_total',
        help: 'AI chat messages answered, by delivery (json, sse) and outcome',
        labelNames: ['mode', 'outcome'],
      }),
  );

export const aiRequestDuration = () =>
  onceMetric(
    'ai_request_duration_seconds',
    () =>
      new Histogram({
        name: 'ai_request_duration_seconds',
        help: 'Time to answer one AI chat message, tool rounds included, by delivery and outcome',
        labelNames: ['mode', 'outcome'],
        buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160],
      }),
  );

export const aiTimeToFirstToken = () =>
  onceMetric(
    'ai_time_to_first_token_seconds',
    () =>
      new Histogram({
        name: 'ai_time_to_first_token_seconds',
        help: 'From receiving a streamed chat message to forwarding the first text delta',
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
      }),
  );

export const aiTokens = () =>
  onceMetric(
    'ai_tokens_total',
    () =>
      new Counter({
        name: 'ai_tokens_total',
        help: 'Tokens billed by the model API, by model and direction (input, output)',
        labelNames: ['model', 'direction'],
      }),
  );

export const aiToolCalls = () =>
  onceMetric(
    'ai_tool_calls_total',
    () =>
      new Counter({
        name: 'ai_tool_calls_total',
        help: 'Tool calls the assistant made, by tool and outcome (ok, error)',
        labelNames: ['tool', 'outcome'],
      }),
  );

export const aiQuotaRejections = () =>
  onceMetric(
    'ai_quota_rejections_total',
    () =>
      new Counter({
        name: 'ai_quota_rejections_total',
        help: 'AI chat messages refused because the daily quota of the tier was used up',
        labelNames: ['tier'],
      }),
  );
