import { Injectable } from '@nestjs/common';
import { AiProposalAcceptedError, AiProposalNotFoundError } from '../ai-chat.errors';
import { AiContextAccess } from '../context/ai-context.access';
import { ProposalRecord, ProposalRepository } from './proposal.repository';

export interface AcceptChanges {
  name?: string;
  description?: string;
  tags?: string[];
}

/** Strategy proposals: read one, and save it as a strategy of its owner with one call. */
@Injectable()
export class AiProposalService {
  constructor(
    private readonly proposals: ProposalRepository,
    private readonly context: AiContextAccess,
  ) {}

  async get(ownerId: string, id: string): Promise<ProposalRecord> {
    const proposal = await this.proposals.get(ownerId, id);
    if (!proposal) throw new AiProposalNotFoundError(id);
    return proposal;
  }

  /**
   * Saves the proposal as a new strategy through the strategies feature (which validates the
   * definition again) and marks it accepted; a second accept answers 409 with the strategy id.
   */
  async accept(ownerId: string, id: string, changes: AcceptChanges = {}): Promise<ProposalRecord> {
    const port = this.context.get();
    return this.proposals.accept(ownerId, id, async (proposal) => {
      if (!proposal) throw new AiProposalNotFoundError(id);
      if (proposal.status === 'accepted') throw new AiProposalAcceptedError(id, proposal.strategyId);
      const saved = await port.saveStrategy(ownerId, {
        name: changes.name ?? proposal.name,
        description: changes.description ?? proposal.description,
        tags: changes.tags ?? proposal.tags,
        definition: proposal.definition,
      });
      return saved.id;
    });
  }
}
