import * as http from 'node:http';
import { benchApiEnv, benchSession, ensureDatabase } from './http.bench';
import { BenchLine } from './report';
import { freePort, ROOT, startProcess } from './support/processes';
import { startStreamUpstream } from './support/stream-upstream';

const RUNS = Number(process.env.BENCH_AI_RUNS ?? 60);
const KEY = 'sk-ant-bench';

/** Milliseconds from sending the request until the first chunk containing `marker` arrives. */
function timeToFirst(url: string, headers: Record<string, string>, body: unknown, marker: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } });
    req.on('response', (res) => {
      let seen = '';
      let done = false;
      res.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (!done && seen.includes(marker)) {
          done = true;
          resolve(Number(process.hrtime.bigint() - started) / 1e6);
        }
      });
      res.on('end', () =>
        done ? undefined : reject(new Error(`${url} answered ${res.statusCode}: ${seen.slice(0, 300)}`)),
      );
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/**
 * Time to first token of a streamed chat answer through the API (auth, throttle, quota and
 * message in one transaction, history, SDK, SSE) against the same upstream called directly.
 */
export async function aiBench(): Promise<BenchLine[]> {
  await ensureDatabase();
  const upstream = await startStreamUpstream();
  const port = await freePort();
  const api = await startProcess(
    `${ROOT}/dist/apps/api/src/main.js`,
    [],
    benchApiEnv(port, {
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: upstream.url,
      THROTTLE_AI_CHAT_LIMIT: '10000000',
      AI_DAILY_MESSAGES_BASIC: '10000000',
      LOG_LEVEL: 'warn',
    }),
    /ready in \d+ ms/,
  );
  try {
    const token = await benchSession(port);
    const auth = { authorization: `Bearer ${token}` };
    const direct: number[] = [];
    const viaApi: number[] = [];
    const upstreamBody = {
      model: 'claude-bench',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    };
    for (let i = 0; i < RUNS + 5; i++) {
      const d = await timeToFirst(`${upstream.url}/v1/messages`, { 'x-api-key': KEY }, upstreamBody, 'text_delta');
      // A new session each time: the first message of a chat, as a user sends it.
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/ai/sessions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{}',
      });
      const { id } = (await res.json()) as { id: string };
      const a = await timeToFirst(
        `http://127.0.0.1:${port}/api/v1/ai/sessions/${id}/messages`,
        { ...auth, accept: 'text/event-stream' },
        { content: 'How did my strategy do?' },
        'event: text',
      );
      // The first runs warm up connections and JIT.
      if (i >= 5) {
        direct.push(d);
        viaApi.push(a);
      }
    }
    const overhead = quantile(viaApi, 0.5) - quantile(direct, 0.5);
    return [
      { name: 'ai upstream direct: time to first text delta (median)', value: quantile(direct, 0.5), unit: 'ms' },
      { name: 'ai through the API: time to first text event (median)', value: quantile(viaApi, 0.5), unit: 'ms' },
      { name: 'ai through the API: time to first text event (p95)', value: quantile(viaApi, 0.95), unit: 'ms' },
      {
        name: 'ai time-to-first-token overhead of the API (median)',
        value: Number(overhead.toFixed(2)),
        unit: 'ms',
        target: '< 50 ms',
        ok: overhead < 50,
      },
    ];
  } finally {
    await api.stop();
    await upstream.close();
  }
}
