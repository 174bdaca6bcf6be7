import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError, JobProducer, decodeCursor, encodeCursor } from '@app/platform';
import { ImportFormatError, ImportNotFoundError, MarketInputError } from '../market.errors';
import { InstrumentRepository } from '../store/instrument.repository';
import { MarketIngest } from '../store/market-ingest.service';
import type { PendingCandle } from '../store/chunk-merge';
import { ChunkSink, MarketStore } from '../store/market-store';
import { formatTimeframe, normalizeExchange, parseSymbol, timeframeMs } from '../symbols';
import { ImportFormat, detectFormat, kindOf, openRows } from './formats';
import { ImportRecord, ImportRepository, ImportSource } from './import.repository';
import { CandleRowCheck, ImportTally, TradeRowCheck, unaccept } from './row-check';

export interface ImportRequest {
  exchange: string;
  symbol: string;
  /** Candle files: the bar length; inferred (or taken from a Binance file's close times) when absent. */
  timeframe?: string;
  /** Detected from the file's first bytes when absent. */
  format?: ImportFormat;
  fileName?: string;
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * File imports of candles and trade prints. Uploads are stored in PostgreSQL and imported by a
 * queue job (API and worker share no disk); the CLI imports a local file directly. Either way
 * one transaction stores the rows and the summary, so an import is all or nothing and a re-run
 * after a crash stores exactly what one run would have.
 */
@Injectable()
export class ImportService {
  private readonly log = new Logger(ImportService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly imports: ImportRepository,
    private readonly instruments: InstrumentRepository,
    private readonly store: MarketStore,
    private readonly ingest: MarketIngest,
    private readonly producer: JobProducer,
  ) {}

  /** Checks the request's fields; throws 400 naming them. */
  normalize(request: ImportRequest): { exchange: string; symbol: string; timeframe: string | null } {
    const exchange = normalizeExchange(request.exchange);
    const { symbol } = parseSymbol(request.symbol);
    const timeframe = request.timeframe ? formatTimeframe(timeframeMs(request.timeframe)) : null;
    return { exchange, symbol, timeframe };
  }

  /**
   * Stores an upload and queues its import; the file's format is checked from its first bytes
   * before anything is kept. Nothing is written when the upload fails midway.
   */
  async createUpload(
    userId: string,
    request: ImportRequest,
    file: AsyncIterable<Buffer>,
    assertComplete: () => void,
  ): Promise<ImportRecord> {
    const fields = this.normalize(request);
    if (fields.timeframe) {
      // Refuse at once what the import would refuse later: another timeframe than the stored one.
      const existing = await this.instruments.find(fields.exchange, fields.symbol);
      if (existing) this.ingest.assertTimeframe(existing, timeframeMs(fields.timeframe));
    }
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let id: string;
    try {
      await runner.startTransaction();
      let format = request.format;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let seq = 0;
      let total = 0;
      id = '';
      const flush = async () => {
        if (pendingBytes === 0) return;
        if (!id) {
          format ??= detectFormat(
            Buffer.concat(pending)
              .subarray(0, 64 * 1024)
              .toString('utf8'),
          );
          id = await this.imports.create(
            {
              createdBy: userId,
              source: 'upload',
              ...fields,
              kind: kindOf(format),
              format,
              fileName: request.fileName?.slice(0, 255) ?? null,
            },
            runner.manager,
          );
        }
        await this.imports.addChunk(runner.manager, id, seq++, Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      };
      for await (const piece of file) {
        pending.push(piece);
        pendingBytes += piece.length;
        total += piece.length;
        if (pendingBytes >= CHUNK_BYTES) await flush();
      }
      assertComplete();
      await flush();
      if (total === 0 || !id) throw new ImportFormatError('The file is empty.');
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
    await this.producer.add('market-import', 'market.import', { importId: id }, { jobId: id, attempts: 3 });
    return (await this.imports.get(id))!;
  }

  /** Imports a local file now (the CLI); returns the finished import. */
  async importFile(
    request: ImportRequest,
    source: AsyncIterable<Buffer>,
    fileBytes: number,
    origin: ImportSource = 'cli',
  ): Promise<ImportRecord> {
    const fields = this.normalize(request);
    const iterator = source[Symbol.asyncIterator]();
    const first = await iterator.next();
    const head: Buffer = first.done ? Buffer.alloc(0) : first.value;
    const format = request.format ?? detectFormat(head.subarray(0, 64 * 1024).toString('utf8'));
    const id = await this.imports.create({
      createdBy: null,
      source: origin,
      ...fields,
      kind: kindOf(format),
      format,
      fileName: request.fileName ?? null,
    });
    await this.dataSource.query(`UPDATE market_imports SET file_bytes = $2 WHERE id = $1`, [id, fileBytes]);
    async function* whole(): AsyncGenerator<Buffer> {
      if (head.length) yield head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    }
    try {
      await this.run(id, whole());
    } catch (error) {
      await this.imports.fail(id, messageOf(error), true);
      throw error;
    }
    return (await this.imports.get(id))!;
  }

  /**
   * Runs an import: parse, check and stage every row, then move the new ones into the series,
   * store the summary and drop the upload, all in one transaction. `source` defaults to the
   * uploaded chunks. Returns false when the import had already completed (a retried job).
   */
  async run(
    id: string,
    source?: AsyncIterable<Buffer>,
    onProgress: (fraction: number) => void | Promise<void> = () => undefined,
  ): Promise<boolean> {
    const job = await this.imports.get(id);
    if (!job) throw new ImportNotFoundError(id);
    if (!(await this.imports.start(id))) return false;
    const started = Date.now();
    const { base, quote } = parseSymbol(job.symbol);
    let lastReport = 0;
    const report = async (bytes: number) => {
      if (job.fileBytes <= 0 || Date.now() - lastReport < 1_000) return;
      lastReport = Date.now();
      const fraction = Math.min(0.99, bytes / job.fileBytes);
      await this.imports.progress(id, fraction);
      await onProgress(fraction);
    };

    const outcome = await this.store.write(async (w) => {
      const instrument = await this.instruments.ensure(
        { exchange: job.exchange, symbol: job.symbol, base, quote },
        w.runner.manager,
      );
      // Imports of one instrument run one at a time: the stored timeframe is decided once.
      await w.lock(instrument.id);
      const [{ candle_timeframe_ms: stored }] = (await w.runner.query(
        `SELECT candle_timeframe_ms FROM market_instruments WHERE id = $1`,
        [instrument.id],
      )) as [{ candle_timeframe_ms: string | null }];
      const storedMs = stored === null ? null : Number(stored);
      const given = job.timeframe ? timeframeMs(job.timeframe) : null;
      const candles = job.kind === 'candles';
      if (candles && given !== null) this.ingest.assertTimeframe({ ...instrument, candleTimeframeMs: storedMs }, given);
      const { batches } = await openRows(source ?? this.imports.chunks(id), job.format);
      let written: { staged: number; inserted: number; duplicates: number };
      let tf: number | null = null;
      let tally: ImportTally;
      if (candles) {
        const check = new CandleRowCheck(given ?? storedMs);
        tally = check.tally;
        // The chunk span follows the timeframe, which may be known only after the first rows.
        let sink: ChunkSink<PendingCandle> | null = null;
        const emit = (row: PendingCandle) => {
          if (!check.timeframeMs) return; // no timeframe could be inferred: the import fails below
          sink ??= w.candles(instrument.id, check.timeframeMs, (line, reason) => unaccept(check.tally, line, reason));
          sink.add(row);
        };
        for await (const batch of batches) {
          check.check(batch, emit);
          if (sink) await (sink as ChunkSink<PendingCandle>).flushReady();
          await report(batch.bytesRead);
        }
        check.flush(emit);
        tf = check.timeframeMs;
        if (!tf) {
          throw new ImportFormatError("Cannot tell the candles' timeframe from the file: give it as `timeframe`.");
        }
        if (tf > 7 * 86_400_000) {
          throw new ImportFormatError(
            `The bars are ${formatTimeframe(tf)} apart: timeframes from 1s to 1w are supported (calendar months are not).`,
          );
        }
        this.ingest.assertTimeframe({ ...instrument, candleTimeframeMs: storedMs }, tf);
        written = sink ? await (sink as ChunkSink<PendingCandle>).finish() : { staged: 0, inserted: 0, duplicates: 0 };
      } else {
        const check = new TradeRowCheck();
        tally = check.tally;
        const sink = w.trades(instrument.id, (line, reason) => unaccept(check.tally, line, reason));
        for await (const batch of batches) {
          check.check(batch, (row) => sink.add(row));
          await sink.flushReady();
          await report(batch.bytesRead);
        }
        written = await sink.finish();
      }
      const { inserted } = written;
      if (inserted > 0) await w.markChanged(instrument.id, tf ?? undefined);
      await w.runner.query(
        `UPDATE market_instruments SET
           price_precision = GREATEST(COALESCE(price_precision, 0), $2),
           amount_precision = GREATEST(COALESCE(amount_precision, 0), $3)
         WHERE id = $1`,
        [instrument.id, tally.priceDecimals, tally.amountDecimals],
      );
      await this.imports.complete(w.runner.manager, id, {
        tally,
        inserted,
        duplicates: written.duplicates,
        timeframe: tf ? formatTimeframe(tf) : null,
      });
      return { instrumentId: instrument.id, inserted, tally, kind: job.kind };
    });
    await this.ingest.finishWrite(outcome.instrumentId, outcome.inserted, outcome.kind);
    this.log.log(
      `import ${id} (${job.exchange} ${job.symbol} ${job.kind}) done in ${Date.now() - started} ms: ` +
        `${outcome.tally.rowsRead} rows, ${outcome.inserted} new, ${outcome.tally.rejected} rejected, ${outcome.tally.gaps} gaps`,
    );
    return true;
  }

  /** Records a failed attempt; `final` when no retry follows. */
  async fail(id: string, error: unknown, final: boolean): Promise<void> {
    await this.imports.fail(id, messageOf(error), final);
  }

  async get(id: string): Promise<ImportRecord> {
    const record = await this.imports.get(id);
    if (!record) throw new ImportNotFoundError(id);
    return record;
  }

  async list(limit: number, cursor?: string): Promise<{ items: ImportRecord[]; nextCursor: string | null }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !after)
      throw new MarketInputError([{ field: 'cursor', message: 'not a cursor of this list' }]);
    const rows = await this.imports.list({ limit, after });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.cursorTs, id: last.id }) : null,
    };
  }
}

/** What a failed import says: an AppError's own message, else a generic one (no SQL or stack). */
export function messageOf(error: unknown): string {
  if (error instanceof AppError) return error.message;
  const text = error instanceof Error ? error.message : String(error);
  return `the import failed: ${text.split('\n')[0].slice(0, 300)}`;
}
