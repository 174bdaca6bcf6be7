import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BenchLine } from './report';
import { freePort, ROOT, startProcess } from './support/processes';

/** `npm start` in embedded mode: first start (initdb) and the second start on the same data. */
export async function embeddedBench(): Promise<BenchLine[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quant-bench-embedded-'));
  const env = async () => ({
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  });
  try {
    const first = await startProcess(`${ROOT}/dist/apps/api/src/main.js`, [], await env(), /ready in \d+ ms/);
    await first.stop();
    const second = await startProcess(`${ROOT}/dist/apps/api/src/main.js`, [], await env(), /ready in \d+ ms/);
    await second.stop();
    return [
      { name: 'embedded first start to ready (initdb + migrations)', value: Math.round(first.readyMs), unit: 'ms' },
      {
        name: 'embedded second start to ready',
        value: Math.round(second.readyMs),
        unit: 'ms',
        target: '< 5000 ms',
        ok: second.readyMs < 5000,
      },
    ];
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
