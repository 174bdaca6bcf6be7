import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IMPORT_FORMATS, type ImportFormat } from '@app/market';
import { IsTimeInput, TIME_DOC } from '../http/time-input';

export class InstrumentQueryDto {
  @ApiPropertyOptional({ example: 'binance' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  exchange?: string;

  @ApiPropertyOptional({ example: 'USDT', description: 'quote currency' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  quote?: string;

  @ApiPropertyOptional({ example: 'BTC', description: 'base currency' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  base?: string;
}

export class SymbolQueryDto {
  @ApiProperty({ example: 'binance' })
  @IsString()
  @MaxLength(32)
  exchange!: string;

  @ApiProperty({ example: 'BTC/USDT', description: 'BASE/QUOTE' })
  @IsString()
  @MaxLength(41)
  symbol!: string;
}

export class RangeQueryDto extends SymbolQueryDto {
  @ApiPropertyOptional({ description: `inclusive start; ${TIME_DOC}`, example: '2024-01-01T00:00:00Z' })
  @IsOptional()
  @IsTimeInput('from')
  from?: number;

  @ApiPropertyOptional({ description: `exclusive end; ${TIME_DOC}`, example: 1704153600000 })
  @IsOptional()
  @IsTimeInput('to', 1)
  to?: number;
}

export class CandlesQueryDto extends RangeQueryDto {
  @ApiProperty({
    example: '1h',
    description: 'any multiple of the stored timeframe (or any, when trades are stored): 1s … 1w',
  })
  @IsString()
  @Matches(/^[1-9]\d*[smhdw]$/, { message: 'timeframe must look like 1s, 5m, 1h, 1d or 1w' })
  timeframe!: string;

  @ApiPropertyOptional({ minimum: 1, default: 1000, description: 'most bars returned (capped by MARKET_MAX_CANDLES)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  limit?: number;
}

export class TradesQueryDto extends RangeQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  limit?: number;
}

export class CandlesResponseDto {
  @ApiProperty() exchange!: string;
  @ApiProperty() symbol!: string;
  @ApiProperty({ example: '1h' }) timeframe!: string;
  @ApiProperty({ example: 'candles:1m', description: '`candles:<stored timeframe>` or `trades`' }) source!: string;
  @ApiProperty({ description: 'epoch ms' }) from!: number;
  @ApiProperty({ description: 'epoch ms' }) to!: number;
  @ApiProperty({ example: ['openTime', 'open', 'high', 'low', 'close', 'volume'] }) columns!: string[];
  @ApiProperty({
    description: 'one array per bar in `columns` order; openTime in epoch ms',
    example: [[1704067200000, 42283.58, 42554.57, 42261.02, 42475.23, 1271.68]],
    type: 'array',
    items: { type: 'array', items: { type: 'number' } },
  })
  bars!: number[][];
  @ApiProperty({ description: 'true when `limit` cut the range short; continue from `next`' }) truncated!: boolean;
  @ApiProperty({ nullable: true, type: Number }) next!: number | null;
}

export class TradesResponseDto {
  @ApiProperty() exchange!: string;
  @ApiProperty() symbol!: string;
  @ApiProperty({ example: ['time', 'id', 'side', 'price', 'amount'] }) columns!: string[];
  @ApiProperty({
    description:
      'one array per print: time (epoch ms), trade id, side (1 buy, -1 sell, 0 unknown), price and amount as decimal text',
    example: [[1570752011620, '13519807', -1, '0.00141342', '23']],
    type: 'array',
    items: { type: 'array', items: {} },
  })
  trades!: unknown[][];
  @ApiProperty() truncated!: boolean;
}

export class TickerResponseDto {
  @ApiProperty() exchange!: string;
  @ApiProperty() symbol!: string;
  @ApiProperty({ nullable: true, type: Number }) last!: number | null;
  @ApiPropertyOptional() open24h?: number;
  @ApiPropertyOptional() change24h?: number;
  @ApiPropertyOptional() changePct24h?: number;
  @ApiPropertyOptional() high24h?: number;
  @ApiPropertyOptional() low24h?: number;
  @ApiPropertyOptional() volume24h?: number;
  @ApiPropertyOptional({ description: 'start of the 24 h window, which ends at the newest stored data' })
  windowStart?: string;
  @ApiPropertyOptional() asOf?: string;
}

export class CoverageGapDto {
  @ApiProperty({ description: 'open time of the first missing bar' }) from!: string;
  @ApiProperty({ description: 'open time of the last missing bar' }) to!: string;
  @ApiProperty() missingBars!: number;
}

export class CandleCoverageDto {
  @ApiProperty({ example: '1m', description: 'the stored (finest) timeframe' }) timeframe!: string;
  @ApiProperty({ nullable: true, type: String }) first!: string | null;
  @ApiProperty({ nullable: true, type: String }) last!: string | null;
  @ApiProperty() count!: number;
  @ApiProperty({ description: 'bars from first to last if there were no gaps' }) expected!: number;
  @ApiProperty() gapCount!: number;
  @ApiProperty() missingBars!: number;
  @ApiProperty({ type: [CoverageGapDto], description: 'at most 1,000; see gapsTruncated' }) gaps!: CoverageGapDto[];
  @ApiProperty() gapsTruncated!: boolean;
}

export class TradeCoverageDto {
  @ApiProperty() first!: string;
  @ApiProperty() last!: string;
  @ApiProperty() count!: number;
}

export class CoverageResponseDto {
  @ApiProperty() exchange!: string;
  @ApiProperty() symbol!: string;
  @ApiProperty({ type: CandleCoverageDto, nullable: true }) candles!: CandleCoverageDto | null;
  @ApiProperty({ type: TradeCoverageDto, nullable: true }) trades!: TradeCoverageDto | null;
}

export class InstrumentResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() exchange!: string;
  @ApiProperty() symbol!: string;
  @ApiProperty() base!: string;
  @ApiProperty() quote!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'decimals of stored prices' }) pricePrecision!:
    number | null;
  @ApiProperty({ nullable: true, type: Number }) amountPrecision!: number | null;
  @ApiProperty({ enum: ['active', 'inactive', 'delisted'] }) status!: string;
  @ApiProperty({ nullable: true, type: String, example: '1m', description: 'timeframe of the stored candles' })
  storedTimeframe!: string | null;
  @ApiProperty() hasTrades!: boolean;
  @ApiProperty({ description: 'e.g. { synthetic: true } for demo data', type: 'object', additionalProperties: true })
  metadata!: Record<string, unknown>;
}

export class InstrumentListResponseDto {
  @ApiProperty({ type: [InstrumentResponseDto] }) items!: InstrumentResponseDto[];
}

export class ImportFieldsDto {
  @ApiProperty({ example: 'binance' }) exchange!: string;
  @ApiProperty({ example: 'BTC/USDT' }) symbol!: string;
  @ApiPropertyOptional({ example: '1m', description: 'candle files: bar length (inferred when absent)' })
  timeframe?: string;
  @ApiPropertyOptional({ enum: IMPORT_FORMATS, description: 'detected from the file when absent' })
  format?: ImportFormat;
}

export class ImportRejectionDto {
  @ApiProperty({ description: 'CSV line number, or element number in a JSON array' }) line!: number;
  @ApiProperty() reason!: string;
}

export class ImportResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['queued', 'running', 'completed', 'failed'] }) status!: string;
  @ApiProperty({ description: '0–1' }) progress!: number;
  @ApiProperty() exchange!: string;
  @ApiProperty() symbol!: string;
  @ApiProperty({ enum: ['candles', 'trades'] }) kind!: string;
  @ApiProperty({ nullable: true, type: String }) timeframe!: string | null;
  @ApiProperty({ enum: IMPORT_FORMATS }) format!: string;
  @ApiProperty({ nullable: true, type: String }) fileName!: string | null;
  @ApiProperty() fileBytes!: number;
  @ApiProperty({ enum: ['upload', 'cli', 'demo'] }) source!: string;
  @ApiProperty() rowsRead!: number;
  @ApiProperty() inserted!: number;
  @ApiProperty({ description: 'rows already stored (a re-import changes nothing)' }) duplicates!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty({ type: [ImportRejectionDto], description: 'the first 200 rejected rows' })
  rejections!: ImportRejectionDto[];
  @ApiProperty() gaps!: number;
  @ApiProperty() missingBars!: number;
  @ApiProperty({ type: [CoverageGapDto], description: 'the first 200 gaps in the file' }) gapList!: CoverageGapDto[];
  @ApiProperty({ nullable: true, type: String }) firstTime!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastTime!: string | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) finishedAt!: string | null;
}

export class ImportListResponseDto {
  @ApiProperty({ type: [ImportResponseDto] }) items!: ImportResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
