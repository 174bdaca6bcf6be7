import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreateExchangeCredentialDto,
  CredentialVault,
  ExchangeCredentialListResponseDto,
  ExchangeCredentialResponseDto,
  mapExchangeCredential,
  Principal,
  RequestMeta,
} from '@app/auth';
import { ApiProblems } from '../http/api-problem.decorator';
import { ClientMeta, CurrentUser } from './auth.decorators';
import { uuidPipe } from './uuid.pipe';

/** Stores exchange credentials encrypted; nothing here ever answers with a secret. */
@ApiTags('auth')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@Controller('auth/exchange-credentials')
export class ExchangeCredentialsController {
  constructor(private readonly vault: CredentialVault) {}

  @Post()
  @ApiOperation({
    summary: 'Store exchange API credentials, encrypted (AES-256-GCM). The answer shows only a masked key.',
  })
  @ApiCreatedResponse({ type: ExchangeCredentialResponseDto })
  @ApiProblems(400, 401, 409, 503)
  async create(
    @CurrentUser() user: Principal,
    @Body() body: CreateExchangeCredentialDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ExchangeCredentialResponseDto> {
    return mapExchangeCredential(await this.vault.create(user.id, body, meta));
  }

  @Get()
  @ApiOperation({ summary: "The caller's exchange credentials (masked), newest first." })
  @ApiOkResponse({ type: ExchangeCredentialListResponseDto })
  @ApiProblems(401, 503)
  async list(@CurrentUser() user: Principal): Promise<ExchangeCredentialListResponseDto> {
    return { items: (await this.vault.list(user.id)).map(mapExchangeCredential) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of the caller’s exchange credentials (masked).' })
  @ApiOkResponse({ type: ExchangeCredentialResponseDto })
  @ApiProblems(400, 401, 404, 503)
  async get(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
  ): Promise<ExchangeCredentialResponseDto> {
    return mapExchangeCredential(await this.vault.get(user.id, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an exchange credential; its ciphertext is removed.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 404, 503)
  async delete(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.vault.delete(user.id, id, meta);
  }
}
