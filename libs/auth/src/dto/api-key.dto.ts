import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, MaxDate, MaxLength, MinDate, MinLength } from 'class-validator';
import { MAX_TIME_MS, MIN_TIME_MS, TIME_RANGE_DOC } from '@app/platform';
import { ApiKeyRecord } from '../api-key.repository';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'research notebook', minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working; never when absent.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @MinDate(new Date(MIN_TIME_MS), { message: `expiresAt must be ${TIME_RANGE_DOC}` })
  @MaxDate(new Date(MAX_TIME_MS), { message: `expiresAt must be ${TIME_RANGE_DOC}` })
  expiresAt?: Date;
}

export class ApiKeyResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ example: 'qk_Ab3dE5fG', description: 'The visible start of the key.' })
  prefix!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  expiresAt!: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastUsedAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  @ApiProperty({ description: 'The key itself, shown only in this answer. Send it as X-API-Key.' })
  key!: string;
}

export class ApiKeyListResponseDto {
  @ApiProperty({ type: () => [ApiKeyResponseDto] })
  items!: ApiKeyResponseDto[];
}

export function mapApiKey(k: ApiKeyRecord): ApiKeyResponseDto {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    createdAt: k.createdAt.toISOString(),
  };
}
