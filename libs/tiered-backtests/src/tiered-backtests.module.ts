import { Module } from '@nestjs/common';
import { MarketModule } from '@app/market';
import { StrategiesModule } from '@app/strategies';
import { BacktestRepository } from './backtest.repository';
import { BacktestEvents } from './events/backtest-events.service';
import { BacktestQueryService } from './query/backtest-query.service';
import { BacktestRunner } from './run/backtest-runner.service';
import { BacktestSubmitService } from './submit/backtest-submit.service';
import { DataCheckService } from './submit/data-check.service';

/**
 * Tiered backtests (docs/tiers.md, docs/architecture.md): submission under the tier table, quota and concurrency;
 * the worker-side runner (engine threads); reads, cancel, comparisons and the event fan-out.
 */
@Module({
  imports: [MarketModule, StrategiesModule],
  providers: [
    BacktestRepository,
    DataCheckService,
    BacktestSubmitService,
    BacktestQueryService,
    BacktestRunner,
    BacktestEvents,
  ],
  exports: [BacktestSubmitService, BacktestQueryService, BacktestRunner, BacktestEvents],
})
export class TieredBacktestsModule {}
