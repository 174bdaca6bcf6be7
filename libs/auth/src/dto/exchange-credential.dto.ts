import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { ExchangeCredentialRecord } from '../exchange-credential.repository';

export class CreateExchangeCredentialDto {
  @ApiProperty({
    example: 'binance',
    pattern: '^[a-z0-9][a-z0-9_-]{0,31}$',
    description: 'Exchange id, a lowercase slug.',
  })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,31}$/, {
    message: 'exchange must be a lowercase slug (a-z, 0-9, - and _), at most 32 characters',
  })
  exchange!: string;

  @ApiProperty({ example: 'main account', minLength: 1, maxLength: 64 })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  label!: string;

  @ApiProperty({ minLength: 1, maxLength: 512, writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  apiKey!: string;

  @ApiProperty({ minLength: 1, maxLength: 4096, writeOnly: true, description: 'Up to 4096 characters (PEM keys fit).' })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  secret!: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 512, writeOnly: true, description: 'Some exchanges require one.' })
  // Absent means none; null is rejected rather than stored as a passphrase.
  @ValidateIf((o: { passphrase?: unknown }) => o.passphrase !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  passphrase?: string;
}

export class ExchangeCredentialResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'binance' })
  exchange!: string;

  @ApiProperty({ example: 'main account' })
  label!: string;

  @ApiProperty({
    example: 'abcd…wxyz',
    description: 'First and last four characters of the API key; keys under 12 characters show as ****.',
  })
  apiKeyMasked!: string;

  @ApiProperty()
  hasPassphrase!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class ExchangeCredentialListResponseDto {
  @ApiProperty({ type: () => [ExchangeCredentialResponseDto] })
  items!: ExchangeCredentialResponseDto[];
}

export function mapExchangeCredential(c: ExchangeCredentialRecord): ExchangeCredentialResponseDto {
  return {
    id: c.id,
    exchange: c.exchange,
    label: c.label,
    apiKeyMasked: c.apiKeyMask,
    hasPassphrase: c.hasPassphrase,
    createdAt: c.createdAt.toISOString(),
  };
}
