import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
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
  AuthService,
  ChangePasswordDto,
  LoginDto,
  mapSession,
  mapUser,
  Principal,
  RequestMeta,
  RefreshDto,
  RegisterDto,
  SessionRequiredError,
  SessionResponseDto,
  UserResponseDto,
} from '@app/auth';
import { ApiProblems } from '../http/api-problem.decorator';
import { RateLimit } from '../throttle/rate-limit.decorator';
import { ClientMeta, CurrentUser, Public } from './auth.decorators';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Public()
  @RateLimit('register')
  @ApiOperation({ summary: 'Create an account (tier basic) and log in. 400 WEAK_PASSWORD names the broken rule.' })
  @ApiCreatedResponse({ type: SessionResponseDto })
  @ApiProblems(400, 409, 429)
  async register(@Body() body: RegisterDto, @ClientMeta() meta: RequestMeta): Promise<SessionResponseDto> {
    return mapSession(await this.auth.register(body, meta));
  }

  @Post('login')
  @Public()
  @RateLimit('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in; 401 INVALID_CREDENTIALS for any wrong email, password or disabled account.' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiProblems(400, 401, 429)
  async login(@Body() body: LoginDto, @ClientMeta() meta: RequestMeta): Promise<SessionResponseDto> {
    return mapSession(await this.auth.login(body, meta));
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Exchange a refresh token for new tokens. Each refresh token works once; reusing one revokes its session (401 REFRESH_TOKEN_REUSED).',
  })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiProblems(400, 401)
  async refresh(@Body() body: RefreshDto, @ClientMeta() meta: RequestMeta): Promise<SessionResponseDto> {
    return mapSession(await this.auth.refresh(body.refreshToken, meta));
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth('jwt')
  @ApiOperation({ summary: 'End this session: its refresh tokens stop working.' })
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiProblems(401)
  async logout(@CurrentUser() user: Principal, @ClientMeta() meta: RequestMeta): Promise<void> {
    await this.auth.logout(user, meta);
  }

  @Get('me')
  @ApiBearerAuth('jwt')
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: 'The current user.' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(401)
  async me(@CurrentUser() user: Principal): Promise<UserResponseDto> {
    return mapUser(await this.auth.me(user));
  }

  @Post('password')
  @HttpCode(204)
  @ApiBearerAuth('jwt')
  @ApiOperation({ summary: 'Change the password; every other session is logged out.' })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiProblems(400, 401, 403)
  async changePassword(
    @CurrentUser() user: Principal,
    @Body() body: ChangePasswordDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    if (user.via !== 'jwt') throw new SessionRequiredError();
    await this.auth.changePassword(user, body, meta);
  }
}
