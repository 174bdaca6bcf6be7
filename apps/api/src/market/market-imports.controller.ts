import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '@app/auth';
import { AppError, PageQueryDto } from '@app/platform';
import {
  IMPORT_FORMATS,
  ImportFormat,
  ImportRecord,
  ImportService,
  ImportTooLargeError,
  MarketInputError,
} from '@app/market';
import { AppConfig } from '@app/platform';
import { ApiProblems } from '../http/api-problem.decorator';
import { BAD_TEXT_MESSAGE, isStorableText } from '../http/text-input';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { uuidPipe } from '../auth/uuid.pipe';
import { ImportListResponseDto, ImportResponseDto } from './market.dto';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function mapImport(r: ImportRecord): ImportResponseDto {
  return {
    id: r.id,
    status: r.status,
    progress: r.progress,
    exchange: r.exchange,
    symbol: r.symbol,
    kind: r.kind,
    timeframe: r.timeframe,
    format: r.format,
    fileName: r.fileName,
    fileBytes: r.fileBytes,
    source: r.source,
    rowsRead: r.rowsRead,
    inserted: r.inserted,
    duplicates: r.duplicates,
    rejected: r.rejected,
    rejections: r.rejections,
    gaps: r.gaps,
    missingBars: r.missingBars,
    gapList: r.gapList,
    firstTime: iso(r.firstTime),
    lastTime: iso(r.lastTime),
    error: r.error,
    createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
  };
}

const FIELDS = ['exchange', 'symbol', 'timeframe', 'format'] as const;
type Field = (typeof FIELDS)[number];

/**
 * The multipart parser's (@fastify/busboy's) errors for a body without a
 * usable boundary or cut short: plain Errors without a code, known only by their messages.
 */
const MALFORMED_MULTIPART = new RegExp(
  [
    '^Multipart: Boundary not found',
    '^Boundary required',
    '^The needle cannot',
    '^Unexpected end of multipart data',
    'terminated early due to unexpected end of multipart data$',
    '^Unsupported content type',
  ].join('|'),
);

class UploadError extends AppError {
  constructor(message: string) {
    super('MARKET_IMPORT_UPLOAD_INVALID', 'invalid', message);
  }
}

@ApiTags('market')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@Roles('admin')
@Controller('market/imports')
export class MarketImportsController {
  constructor(
    private readonly imports: ImportService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Upload a candle or trade file; it is imported by a worker (poll GET /market/imports/:id).',
    description:
      'multipart/form-data with the fields `exchange`, `symbol`, optional `timeframe` and `format`, then the `file` ' +
      `part (fields must come before the file). Formats: ${IMPORT_FORMATS.join(', ')} (detected when absent). ` +
      'Rows with unreadable fields, non-positive prices, high < low, or times not after the previous row are ' +
      'rejected with their line numbers; the rest imports. Re-importing the same rows changes nothing.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['exchange', 'symbol', 'file'],
      properties: {
        exchange: { type: 'string', example: 'binance' },
        symbol: { type: 'string', example: 'BTC/USDT' },
        timeframe: { type: 'string', example: '1m' },
        format: { type: 'string', enum: [...IMPORT_FORMATS] },
        file: { type: 'string', format: 'binary' },
      },
    },
  })
  @ApiAcceptedResponse({ type: ImportResponseDto })
  @ApiProblems(400, 401, 403, 413, 415, 429)
  async upload(@CurrentUser() user: Principal, @Req() request: FastifyRequest): Promise<ImportResponseDto> {
    if (!request.isMultipart()) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported_media_type', 'Send the file as multipart/form-data.');
    }
    const limit = this.config.env.MARKET_IMPORT_MAX_BYTES;
    const fields: Partial<Record<Field, string>> = {};
    let record: ImportRecord | undefined;
    try {
      for await (const part of request.parts({ limits: { fileSize: limit, files: 1, fields: 10, fieldSize: 1024 } })) {
        if (part.type === 'field') {
          if (record) throw new UploadError('Send the form fields before the file.');
          if (!(FIELDS as readonly string[]).includes(part.fieldname)) {
            throw new MarketInputError([{ field: part.fieldname, message: 'is not a known field' }]);
          }
          const value = String(part.value);
          if (!isStorableText(value))
            throw new MarketInputError([{ field: part.fieldname, message: BAD_TEXT_MESSAGE }]);
          fields[part.fieldname as Field] = value;
          continue;
        }
        if (record) throw new UploadError('Send one file per import.');
        record = await this.store(user, fields, part);
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new ImportTooLargeError(limit);
      if ((error as { code?: string }).code?.startsWith('FST_')) throw new UploadError((error as Error).message);
      if (error instanceof Error && MALFORMED_MULTIPART.test(error.message)) {
        throw new UploadError(`The multipart body is malformed: ${error.message}.`);
      }
      throw error;
    }
    if (!record) throw new MarketInputError([{ field: 'file', message: 'is required' }]);
    return mapImport(record);
  }

  private async store(
    user: Principal,
    fields: Partial<Record<Field, string>>,
    file: MultipartFile,
  ): Promise<ImportRecord> {
    if (!isStorableText(file.filename) || !isStorableText(file.fieldname)) {
      throw new MarketInputError([{ field: 'file', message: `name ${BAD_TEXT_MESSAGE}` }]);
    }
    const missing = (['exchange', 'symbol'] as const).filter((f) => !fields[f]);
    if (missing.length > 0) {
      throw new MarketInputError(missing.map((field) => ({ field, message: 'is required (send it before the file)' })));
    }
    if (fields.format && !(IMPORT_FORMATS as readonly string[]).includes(fields.format)) {
      throw new MarketInputError([{ field: 'format', message: `must be one of ${IMPORT_FORMATS.join(', ')}` }]);
    }
    return this.imports.createUpload(
      user.id,
      {
        exchange: fields.exchange!,
        symbol: fields.symbol!,
        timeframe: fields.timeframe,
        format: fields.format as ImportFormat | undefined,
        fileName: file.filename,
      },
      file.file,
      () => {
        if (file.file.truncated) throw new ImportTooLargeError(this.config.env.MARKET_IMPORT_MAX_BYTES);
      },
    );
  }

  @Get()
  @ApiOperation({ summary: 'Imports, newest first.' })
  @ApiOkResponse({ type: ImportListResponseDto })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: PageQueryDto): Promise<ImportListResponseDto> {
    const page = await this.imports.list(query.limit ?? 50, query.cursor);
    return { items: page.items.map(mapImport), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One import: status, progress and its summary (rows, duplicates, rejected rows, gaps).' })
  @ApiOkResponse({ type: ImportResponseDto })
  @ApiProblems(400, 401, 403, 404)
  async get(@Param('id', uuidPipe()) id: string): Promise<ImportResponseDto> {
    return mapImport(await this.imports.get(id));
  }
}
