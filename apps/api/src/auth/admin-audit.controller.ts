import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AuditListResponseDto, AuditService, ListAuditQueryDto, mapAuditPage } from '@app/auth';
import { ApiProblems } from '../http/api-problem.decorator';
import { Roles } from './auth.decorators';

@ApiTags('admin')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@Roles('admin')
@Controller('admin/audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary:
      'The audit log, newest first: logins, refresh-token reuse, password changes, API keys, exchange credentials, admin changes. Filter by action or user.',
  })
  @ApiOkResponse({ type: AuditListResponseDto })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: ListAuditQueryDto): Promise<AuditListResponseDto> {
    return mapAuditPage(
      await this.audit.list({
        limit: query.limit ?? 50,
        cursor: query.cursor,
        action: query.action,
        userId: query.userId,
      }),
    );
  }
}
