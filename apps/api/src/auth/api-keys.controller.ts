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
  ApiKeyListResponseDto,
  ApiKeyService,
  CreateApiKeyDto,
  CreatedApiKeyResponseDto,
  mapApiKey,
  Principal,
  RequestMeta,
  SessionRequiredError,
} from '@app/auth';
import { ApiProblems } from '../http/api-problem.decorator';
import { ClientMeta, CurrentUser } from './auth.decorators';
import { uuidPipe } from './uuid.pipe';

@ApiTags('auth')
@ApiBearerAuth('jwt')
@Controller('auth/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key. The key is in this answer only; it is stored hashed.' })
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto })
  @ApiProblems(400, 401, 403, 409)
  async create(
    @CurrentUser() user: Principal,
    @Body() body: CreateApiKeyDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<CreatedApiKeyResponseDto> {
    // A leaked key must not be able to mint more keys.
    if (user.via !== 'jwt') throw new SessionRequiredError();
    const created = await this.keys.create(user.id, body, meta);
    return { ...mapApiKey(created), key: created.key };
  }

  @Get()
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: "The caller's active API keys (prefix only), newest first." })
  @ApiOkResponse({ type: ApiKeyListResponseDto })
  @ApiProblems(401)
  async list(@CurrentUser() user: Principal): Promise<ApiKeyListResponseDto> {
    return { items: (await this.keys.list(user.id)).map(mapApiKey) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: 'Revoke an API key; it stops working at once.' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems(400, 401, 404)
  async revoke(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.keys.revoke(user.id, id, meta);
  }
}
