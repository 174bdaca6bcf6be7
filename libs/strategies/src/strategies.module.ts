import { Module } from '@nestjs/common';
import { StrategyRepository } from './strategy.repository';
import { StrategyService } from './strategy.service';

/** Strategies: named definitions in the engine's schema, versioned immutably, owned by one user. */
@Module({
  providers: [StrategyRepository, StrategyService],
  exports: [StrategyService],
})
export class StrategiesModule {}
