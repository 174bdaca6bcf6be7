import { aiBench } from './ai.bench';
import { backtestsBench } from './backtests.bench';
import { embeddedBench } from './embedded.bench';
import { engineBench } from './engine.bench';
import { httpBench } from './http.bench';
import { marketBench } from './market.bench';
import { BenchLine, BenchSuite, formatLines } from './report';
import { researchBench } from './research.bench';

/**
 * `npm run bench [-- suite...]`: measures the targets named in the issues and
 * prints one line per figure. Suites: engine, http, embedded, market, backtests, ai, research (default: all).
 */
const SUITES: Record<string, BenchSuite> = {
  engine: engineBench,
  http: httpBench,
  embedded: embeddedBench,
  market: marketBench,
  backtests: backtestsBench,
  ai: aiBench,
  research: researchBench,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length > 0 ? wanted : Object.keys(SUITES);
  const all: BenchLine[] = [];
  for (const name of names) {
    const suite = SUITES[name];
    if (!suite) throw new Error(`unknown suite "${name}" (have: ${Object.keys(SUITES).join(', ')})`);
    process.stdout.write(`\n== ${name} ==\n`);
    const lines = await suite();
    all.push(...lines);
    process.stdout.write(`${formatLines(lines)}\n`);
  }
  const missed = all.filter((l) => l.ok === false);
  process.stdout.write(`\n${all.length} figures, ${missed.length} targets missed\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
