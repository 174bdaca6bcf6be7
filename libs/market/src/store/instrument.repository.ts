import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '@app/platform';

export type InstrumentStatus = 'active' | 'inactive' | 'delisted';

export interface InstrumentRecord {
  id: string;
  exchange: string;
  symbol: string;
  base: string;
  quote: string;
  pricePrecision: number | null;
  amountPrecision: number | null;
  status: InstrumentStatus;
  /** Bar length of the stored candles; null while only trades are stored. */
  candleTimeframeMs: number | null;
  metadata: Record<string, unknown>;
  /** Bumped in the transaction that stores new data: part of every cache key and ETag. */
  dataVersion: number;
  hasTrades: boolean;
}

const COLUMNS = `i.id, i.exchange, i.symbol, i.base, i.quote, i.price_precision, i.amount_precision, i.status,
  i.candle_timeframe_ms, i.metadata, i.data_version,
  EXISTS (SELECT 1 FROM market_trade_chunks t WHERE t.instrument_id = i.id) AS has_trades`;

interface Row {
  id: string;
  exchange: string;
  symbol: string;
  base: string;
  quote: string;
  price_precision: number | null;
  amount_precision: number | null;
  status: InstrumentStatus;
  candle_timeframe_ms: string | null;
  metadata: Record<string, unknown>;
  data_version: string;
  has_trades: boolean;
}

function toRecord(r: Row): InstrumentRecord {
  return {
    id: r.id,
    exchange: r.exchange,
    symbol: r.symbol,
    base: r.base,
    quote: r.quote,
    pricePrecision: r.price_precision,
    amountPrecision: r.amount_precision,
    status: r.status,
    candleTimeframeMs: r.candle_timeframe_ms === null ? null : Number(r.candle_timeframe_ms),
    metadata: r.metadata,
    dataVersion: Number(r.data_version),
    hasTrades: r.has_trades,
  };
}

export interface EnsureInstrument {
  exchange: string;
  symbol: string;
  base: string;
  quote: string;
  metadata?: Record<string, unknown>;
  pricePrecision?: number | null;
  amountPrecision?: number | null;
}

@Injectable()
export class InstrumentRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(exchange: string, symbol: string): Promise<InstrumentRecord | null> {
    const rows: Row[] = await preparedQuery(
      this.dataSource,
      `SELECT ${COLUMNS} FROM market_instruments i WHERE i.exchange = $1 AND i.symbol = $2`,
      [exchange, symbol],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(filter: { exchange?: string; quote?: string; base?: string }): Promise<InstrumentRecord[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM market_instruments i
        WHERE ($1::text IS NULL OR i.exchange = $1) AND ($2::text IS NULL OR i.quote = $2) AND ($3::text IS NULL OR i.base = $3)
        ORDER BY i.exchange, i.symbol`,
      [filter.exchange ?? null, filter.quote ?? null, filter.base ?? null],
    );
    return rows.map(toRecord);
  }

  /** The instrument, created when missing (concurrent callers get the same row). */
  async ensure(spec: EnsureInstrument, manager: EntityManager = this.dataSource.manager): Promise<InstrumentRecord> {
    await manager.query(
      `INSERT INTO market_instruments (id, exchange, symbol, base, quote, metadata, price_precision, amount_precision)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (exchange, symbol) DO UPDATE SET
         metadata = market_instruments.metadata || EXCLUDED.metadata,
         price_precision = COALESCE(EXCLUDED.price_precision, market_instruments.price_precision),
         amount_precision = COALESCE(EXCLUDED.amount_precision, market_instruments.amount_precision),
         updated_at = CASE WHEN EXCLUDED.metadata = '{}'::jsonb AND EXCLUDED.price_precision IS NULL
                            AND EXCLUDED.amount_precision IS NULL
                      THEN market_instruments.updated_at ELSE now() END`,
      [
        randomUUID(),
        spec.exchange,
        spec.symbol,
        spec.base,
        spec.quote,
        JSON.stringify(spec.metadata ?? {}),
        spec.pricePrecision ?? null,
        spec.amountPrecision ?? null,
      ],
    );
    const rows: Row[] = await manager.query(
      `SELECT ${COLUMNS} FROM market_instruments i WHERE i.exchange = $1 AND i.symbol = $2`,
      [spec.exchange, spec.symbol],
    );
    return toRecord(rows[0]);
  }
}
