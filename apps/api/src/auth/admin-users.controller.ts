import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  ListUsersQueryDto,
  mapUser,
  mapUserPage,
  Principal,
  RequestMeta,
  UpdateUserDto,
  UserAdminService,
  UserListResponseDto,
  UserResponseDto,
} from '@app/auth';
import { ApiProblems } from '../http/api-problem.decorator';
import { ClientMeta, CurrentUser, Roles } from './auth.decorators';
import { uuidPipe } from './uuid.pipe';

@ApiTags('admin')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@Roles('admin')
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly users: UserAdminService) {}

  @Get()
  @ApiOperation({ summary: 'Users, newest first; filter by tier and role; page with limit (≤ 100) and cursor.' })
  @ApiOkResponse({ type: UserListResponseDto })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: ListUsersQueryDto): Promise<UserListResponseDto> {
    return mapUserPage(
      await this.users.list({ limit: query.limit ?? 50, cursor: query.cursor, tier: query.tier, role: query.role }),
    );
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change a user's tier or role, or disable the account (its sessions end)." })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(400, 401, 403, 404, 409)
  async update(
    @CurrentUser() admin: Principal,
    @Param('id', uuidPipe()) id: string,
    @Body() body: UpdateUserDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<UserResponseDto> {
    return mapUser(await this.users.update(admin, id, body, meta));
  }
}
