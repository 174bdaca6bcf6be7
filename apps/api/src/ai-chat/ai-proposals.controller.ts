import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AiProposalService } from '@app/ai-chat';
import type { Principal } from '@app/auth';
import { CurrentUser } from '../auth/auth.decorators';
import { uuidPipe } from '../auth/uuid.pipe';
import { ApiProblems } from '../http/api-problem.decorator';
import { AcceptProposalDto, AcceptProposalResponseDto, mapProposal, ProposalResponseDto } from './ai-chat.dto';
import { AiEnabledGuard } from './ai-enabled.guard';
import { AiProblems } from './ai-problems.decorator';

@ApiTags('ai')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@UseGuards(AiEnabledGuard)
@Controller('ai/proposals')
export class AiProposalsController {
  constructor(private readonly proposals: AiProposalService) {}

  @Get(':id')
  @ApiOperation({ summary: 'A strategy the assistant proposed: its validated definition and whether it was saved.' })
  @ApiOkResponse({ type: ProposalResponseDto })
  @ApiProblems(400, 401, 404, 429)
  @AiProblems(503)
  async get(@CurrentUser() user: Principal, @Param('id', uuidPipe()) id: string): Promise<ProposalResponseDto> {
    return mapProposal(await this.proposals.get(user.id, id));
  }

  @Post(':id/accept')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Save a proposal as a new strategy of yours, optionally renamed; once only (409 afterwards).',
  })
  @ApiCreatedResponse({ type: AcceptProposalResponseDto })
  @ApiProblems(400, 401, 404, 409, 422, 429)
  @AiProblems(503)
  async accept(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @Body() body: AcceptProposalDto,
  ): Promise<AcceptProposalResponseDto> {
    const proposal = await this.proposals.accept(user.id, id, body);
    return { strategyId: proposal.strategyId!, proposal: mapProposal(proposal) };
  }
}
