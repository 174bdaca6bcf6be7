import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AppConfig,
  ConfigModule,
  DatabaseModule,
  QueueModule,
  RedisModule,
  loadConfig,
  prepareDatabase,
} from '@app/platform';
import { IMPORT_FORMATS, ImportFormat, ImportRecord, ImportService, MarketModule } from '@app/market';

const USAGE = `usage: npm run market:import -- --exchange EXCHANGE --symbol BASE/QUOTE [--timeframe 1m] [--format FORMAT] FILE
  formats: ${IMPORT_FORMATS.join(', ')} (detected from the file when absent)
  database: DATABASE_URL, or the embedded one in DATA_DIR (stop the API first)`;

export interface MarketImportArgs {
  exchange: string;
  symbol: string;
  timeframe?: string;
  format?: ImportFormat;
  file: string;
}

/** Reads the command line; throws a one-line message (with the usage) when it is wrong. */
export function parseMarketImportArgs(argv: string[]): MarketImportArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      exchange: { type: 'string' },
      symbol: { type: 'string' },
      timeframe: { type: 'string' },
      format: { type: 'string' },
    },
  });
  if (!values.exchange || !values.symbol || positionals.length !== 1) throw new Error(USAGE);
  if (values.format && !(IMPORT_FORMATS as readonly string[]).includes(values.format)) {
    throw new Error(`--format must be one of ${IMPORT_FORMATS.join(', ')}\n${USAGE}`);
  }
  return {
    exchange: values.exchange,
    symbol: values.symbol,
    timeframe: values.timeframe,
    format: values.format as ImportFormat | undefined,
    file: positionals[0],
  };
}

/** One line per figure of an import's summary. */
export function describeImport(r: ImportRecord, ms: number): string {
  const lines = [
    `import ${r.id}: ${r.exchange} ${r.symbol} ${r.kind}${r.timeframe ? ` ${r.timeframe}` : ''} (${r.format}) ${r.status} in ${ms} ms`,
    `  rows read ${r.rowsRead}, inserted ${r.inserted}, duplicates skipped ${r.duplicates}, rejected ${r.rejected}`,
  ];
  if (r.firstTime) lines.push(`  from ${r.firstTime.toISOString()} to ${r.lastTime?.toISOString()}`);
  if (r.gaps) lines.push(`  gaps ${r.gaps} (${r.missingBars} missing bars)`);
  for (const x of r.rejections.slice(0, 20)) lines.push(`  rejected line ${x.line}: ${x.reason}`);
  if (r.rejected > 20) lines.push(`  … ${r.rejected - 20} more rejected rows (GET /api/v1/market/imports/${r.id})`);
  return lines.join('\n') + '\n';
}

/** `npm run market:import`: imports one local file with the same code path as an upload. */
export async function runMarketImport(
  config: AppConfig,
  args: MarketImportArgs,
  out = process.stdout,
): Promise<ImportRecord> {
  const size = statSync(args.file).size;
  const db = await prepareDatabase(config, () => undefined);
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot(db.url),
      RedisModule,
      QueueModule.forRoot(),
      MarketModule,
    ],
  })
  class MarketImportCliModule {}
  const app = await NestFactory.createApplicationContext(MarketImportCliModule, { logger: ['error', 'warn'] });
  try {
    const started = Date.now();
    const record = await app
      .get(ImportService)
      .importFile(
        { ...args, fileName: basename(args.file) },
        createReadStream(args.file, { highWaterMark: 1 << 20 }),
        size,
      );
    out.write(describeImport(record, Date.now() - started));
    return record;
  } finally {
    await app.close();
    await db.embedded?.stop();
  }
}

if (require.main === module) {
  (async () => {
    const args = parseMarketImportArgs(process.argv.slice(2));
    await runMarketImport(loadConfig(), args);
  })().catch((err: unknown) => {
    const { code } = err as { code?: unknown };
    const prefix = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? `${code}: ` : '';
    console.error(`market:import: ${prefix}${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof Error && err.message.startsWith('usage') ? 2 : 1);
  });
}
