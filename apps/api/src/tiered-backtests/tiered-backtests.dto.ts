import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import type { Precision } from '@app/engine';
import { INT4_MAX, PageQueryDto } from '@app/platform';
import {
  BACKTEST_STATUSES,
  BacktestRecord,
  BacktestResultRecord,
  BacktestStatus,
  PRECISIONS,
} from '@app/tiered-backtests';
import { IsTimeInput, TIME_DOC } from '../http/time-input';

const TIMEFRAME = /^[1-9]\d{0,3}[smhdw]$/;
const FINITE = { allowNaN: false, allowInfinity: false };
const OBJECT_DOC = { type: 'object', additionalProperties: true } as const;

export class CreateBacktestDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  strategyId!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: INT4_MAX, description: 'Strategy version; the latest when absent' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  version?: number;

  @ApiProperty({ example: 'binance' })
  @IsString()
  @MaxLength(32)
  exchange!: string;

  @ApiProperty({ example: 'BTC/USDT' })
  @IsString()
  @MaxLength(41)
  symbol!: string;

  @ApiProperty({ example: '1h', description: 'Bars the rules evaluate on; the tier decides which are allowed' })
  @Matches(TIMEFRAME, { message: 'timeframe must be a timeframe such as 1m, 15m, 1h or 1d' })
  timeframe!: string;

  @ApiProperty({ description: `inclusive start; ${TIME_DOC}`, example: '2024-01-01T00:00:00Z' })
  @IsTimeInput('from')
  from!: number;

  @ApiProperty({ description: `exclusive end; ${TIME_DOC}`, example: '2024-03-01T00:00:00Z' })
  @IsTimeInput('to', 1)
  to!: number;

  @ApiProperty({ example: 10_000, minimum: 0, exclusiveMinimum: true, maximum: 1e12 })
  @IsNumber(FINITE)
  @IsPositive()
  @Max(1e12)
  initialCapital!: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 0.05, default: 0.001, description: 'Fraction of notional per fill' })
  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(0.05)
  feeRate?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1000,
    default: 0,
    description: 'Against the trader on every fill (kline, hybrid)',
  })
  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(1000)
  slippageBps?: number;

  @ApiPropertyOptional({ enum: PRECISIONS, description: 'Default: the best the tier allows' })
  @IsOptional()
  @IsIn(PRECISIONS)
  precision?: Precision;

  @ApiPropertyOptional({ example: '1m', description: 'Hybrid: the detail series; default the finest stored' })
  @IsOptional()
  @Matches(TIMEFRAME, { message: 'detailTimeframe must be a timeframe such as 1s or 1m' })
  detailTimeframe?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 60_000, default: 50, description: 'Tick: signal-to-order latency' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  latencyMs?: number;
}

export class CompareBacktestsDto extends OmitType(CreateBacktestDto, ['precision'] as const) {}

export class BacktestListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: BACKTEST_STATUSES })
  @IsOptional()
  @IsIn(BACKTEST_STATUSES)
  status?: BacktestStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  strategyId?: string;

  @ApiPropertyOptional({ example: 'BTC/USDT' })
  @IsOptional()
  @IsString()
  @MaxLength(41)
  symbol?: string;

  @ApiPropertyOptional({ enum: PRECISIONS })
  @IsOptional()
  @IsIn(PRECISIONS)
  precision?: Precision;
}

export class EquityQueryDto {
  @ApiPropertyOptional({
    minimum: 2,
    maximum: 10_000,
    description: 'Downsample the full curve to this many points; without it, the stored ≤ 2,000-point curve',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(10_000)
  points?: number;
}

class BacktestErrorDto {
  @ApiProperty({ example: 'BACKTEST_INVALID_STRATEGY' }) code!: string;
  @ApiProperty() message!: string;
}

class BacktestResultDto {
  @ApiProperty({ ...OBJECT_DOC, description: 'Engine metrics (libs/engine/README.md)' }) metrics!: object;
  @ApiProperty({ ...OBJECT_DOC, nullable: true, description: 'kline: best/worst final equity over ambiguous bars' })
  envelope!: object | null;
  @ApiProperty({ ...OBJECT_DOC, nullable: true, description: 'hybrid: share of in-position bars with detail data' })
  detailCoverage!: object | null;
  @ApiProperty({ description: 'sha-256 of the input series, definition and settings' }) fingerprint!: string;
  @ApiProperty() engineVersion!: string;
  @ApiProperty({ description: 'Bars simulated; the curve has one point per bar (GET /:id/equity)' }) bars!: number;
}

export class BacktestResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: BACKTEST_STATUSES }) status!: BacktestStatus;
  @ApiProperty({ minimum: 0, maximum: 100 }) progress!: number;
  @ApiProperty({ enum: ['basic', 'pro', 'elite'] }) tier!: string;
  @ApiProperty({ enum: PRECISIONS }) precision!: Precision;
  @ApiProperty({ format: 'uuid' }) strategyId!: string;
  @ApiProperty() strategyVersion!: number;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) comparisonId!: string | null;
  @ApiProperty() exchange!: string;
  @ApiProperty() symbol!: string;
  @ApiProperty() timeframe!: string;
  @ApiProperty({ nullable: true, type: String }) detailTimeframe!: string | null;
  @ApiProperty({ nullable: true, type: Number }) latencyMs!: number | null;
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty() initialCapital!: number;
  @ApiProperty() feeRate!: number;
  @ApiProperty() slippageBps!: number;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: BacktestErrorDto, nullable: true }) error!: BacktestErrorDto | null;
  @ApiProperty({
    ...OBJECT_DOC,
    nullable: true,
    description: 'queueWaitMs, loadMs, runMs, totalMs, bars, barsPerSecond',
  })
  timings!: object | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ type: BacktestResultDto, nullable: true, description: 'Present once completed' })
  result!: BacktestResultDto | null;
}

export class BacktestListResponseDto {
  @ApiProperty({ type: () => [BacktestResponseDto] }) items!: BacktestResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class TradeListResponseDto {
  @ApiProperty({ type: 'array', items: OBJECT_DOC, description: 'Trades in time order (times ISO 8601)' })
  items!: object[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class EquityResponseDto {
  @ApiProperty() points!: number;
  @ApiProperty({ description: 'points of the full curve (one per bar)' }) totalPoints!: number;
  @ApiProperty({ type: [Number], description: 'bar open times, epoch ms' }) time!: number[];
  @ApiProperty({ type: [Number] }) equity!: number[];
}

export class ComparisonResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['running', 'finished'] }) status!: 'running' | 'finished';
  @ApiProperty({ type: () => [BacktestResponseDto] }) backtests!: BacktestResponseDto[];
  @ApiProperty({
    ...OBJECT_DOC,
    nullable: true,
    description:
      'Once every run ended: metrics side by side, summary, explanation and the differences (ambiguous bars, fill prices, partial fills, detail coverage)',
  })
  report!: object | null;
}

export class TiersResponseDto {
  @ApiProperty({ type: 'array', items: OBJECT_DOC }) tiers!: object[];
  @ApiProperty({ enum: ['basic', 'pro', 'elite'] }) tier!: string;
  @ApiProperty({ ...OBJECT_DOC, description: 'backtestsToday, backtestsLeftToday, active, resetAt' }) usage!: object;
}

export function mapBacktest(b: BacktestRecord, result: BacktestResultRecord | null = null): BacktestResponseDto {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: b.id,
    status: b.status,
    progress: b.progress,
    tier: b.tier,
    precision: b.precision,
    strategyId: b.strategyId,
    strategyVersion: b.strategyVersion,
    comparisonId: b.comparisonId,
    exchange: b.exchange,
    symbol: b.symbol,
    timeframe: b.timeframe,
    detailTimeframe: b.detailTimeframe,
    latencyMs: b.latencyMs,
    from: new Date(b.from).toISOString(),
    to: new Date(b.to).toISOString(),
    initialCapital: b.initialCapital,
    feeRate: b.feeRate,
    slippageBps: b.slippageBps,
    attempts: b.attempts,
    error: b.error,
    timings: b.timings,
    createdAt: b.createdAt.toISOString(),
    startedAt: iso(b.startedAt),
    finishedAt: iso(b.finishedAt),
    result: result && {
      metrics: result.metrics,
      envelope: result.envelope,
      detailCoverage: result.detailCoverage,
      fingerprint: result.fingerprint,
      engineVersion: result.engineVersion,
      bars: result.bars,
    },
  };
}
