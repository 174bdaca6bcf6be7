import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '@app/platform';
import type { ParameterizedDefinition } from '@app/engine';
import type { StrategyRecord, StrategyVersionRecord } from '../strategy.repository';

const TAG = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,39}$/u;
const DEFINITION_DOC = {
  type: 'object',
  additionalProperties: true,
  description: 'A strategy definition in the engine schema (GET /api/v1/strategies/schema).',
} as const;

export class CreateStrategyDto {
  @ApiProperty({ example: 'BTC trend follower', minLength: 1, maxLength: 120 })
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  name!: string;

  @ApiPropertyOptional({ maxLength: 2000, default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 20, example: ['trend', 'btc'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(TAG, { each: true, message: 'each tag is 1-40 letters, digits, spaces, dots, dashes or underscores' })
  tags?: string[];

  @ApiProperty(DEFINITION_DOC)
  @IsObject()
  definition!: ParameterizedDefinition;
}

export class UpdateStrategyDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 120 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  name?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 20 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(TAG, { each: true, message: 'each tag is 1-40 letters, digits, spaces, dots, dashes or underscores' })
  tags?: string[];

  @ApiPropertyOptional({ ...DEFINITION_DOC, description: 'A new definition; it becomes the next version.' })
  @IsOptional()
  @IsObject()
  definition?: ParameterizedDefinition;
}

export class StrategyListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only strategies carrying this tag' })
  @IsOptional()
  @Matches(TAG)
  tag?: string;
}

export class StrategyResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ type: [String] })
  tags!: string[];

  @ApiProperty({ description: 'The latest version; every change of definition adds one.', minimum: 1 })
  version!: number;

  @ApiProperty(DEFINITION_DOC)
  definition!: ParameterizedDefinition;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class StrategyListResponseDto {
  @ApiProperty({ type: () => [StrategyResponseDto] })
  items!: StrategyResponseDto[];

  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}

export class StrategyVersionResponseDto {
  @ApiProperty({ minimum: 1 })
  version!: number;

  @ApiProperty(DEFINITION_DOC)
  definition!: ParameterizedDefinition;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class StrategyVersionListResponseDto {
  @ApiProperty({ type: () => [StrategyVersionResponseDto] })
  items!: StrategyVersionResponseDto[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}

export class StrategyTemplateResponseDto {
  @ApiProperty({ example: 'sma-cross' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty(DEFINITION_DOC)
  definition!: ParameterizedDefinition;
}

export class StrategyTemplateListResponseDto {
  @ApiProperty({ type: () => [StrategyTemplateResponseDto] })
  items!: StrategyTemplateResponseDto[];
}

export function mapStrategy(s: StrategyRecord): StrategyResponseDto {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    tags: s.tags,
    version: s.version,
    definition: s.definition,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function mapStrategyVersion(v: StrategyVersionRecord): StrategyVersionResponseDto {
  return { version: v.version, definition: v.definition, createdAt: v.createdAt.toISOString() };
}
