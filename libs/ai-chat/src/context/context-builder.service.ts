import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '@app/platform';
import { AiContextAccess } from './ai-context.access';
import { asData, summarizeBacktest, summarizeStrategy } from './context-summary';

/** Worst trades put in the context of an attached backtest. */
const WORST_TRADES = 5;

export interface AttachedContext {
  /** JSON data for the system prompt, or null when nothing could be loaded. */
  json: string | null;
  notes: string[];
}

/**
 * Loads what a session has attached (a strategy, a backtest, or both) fresh for every message,
 * so the assistant talks about the current version; a deleted item becomes a note, not a failure.
 */
@Injectable()
export class ContextBuilder {
  private readonly logger = new Logger(ContextBuilder.name);

  constructor(private readonly context: AiContextAccess) {}

  async build(
    ownerId: string,
    attached: { strategyId: string | null; backtestId: string | null },
  ): Promise<AttachedContext> {
    if (attached.strategyId === null && attached.backtestId === null) return { json: null, notes: [] };
    if (!this.context.bound) {
      return { json: null, notes: ['The attached strategy and backtest data are not available on this server.'] };
    }
    const port = this.context.get();
    const data: Record<string, unknown> = {};
    const notes: string[] = [];
    const attempt = async (what: string, load: () => Promise<unknown>) => {
      try {
        return await load();
      } catch (err) {
        if (!(err instanceof AppError) || err.kind !== 'not_found') {
          this.logger.warn({ err, ownerId }, `could not load the attached ${what}`);
        }
        notes.push(
          err instanceof AppError && err.kind === 'not_found'
            ? `The attached ${what} no longer exists.`
            : `The attached ${what} could not be loaded just now.`,
        );
        return undefined;
      }
    };
    if (attached.strategyId !== null) {
      const id = attached.strategyId;
      data.strategy = await attempt('strategy', async () => summarizeStrategy(await port.strategy(ownerId, id)));
    }
    if (attached.backtestId !== null) {
      const id = attached.backtestId;
      data.backtest = await attempt('backtest', async () => {
        const backtest = await port.backtest(ownerId, id);
        const finished = backtest.status === 'completed';
        const [worst, comparison] = await Promise.all([
          finished ? port.worstTrades(ownerId, id, WORST_TRADES) : Promise.resolve([]),
          finished && backtest.comparisonId !== null ? port.comparison(ownerId, id) : Promise.resolve(null),
        ]);
        return summarizeBacktest(backtest, worst, comparison);
      });
    }
    const loaded = Object.values(data).some((v) => v !== undefined);
    return { json: loaded ? asData(data) : null, notes };
  }
}
