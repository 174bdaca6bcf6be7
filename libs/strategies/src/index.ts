export * from './strategies.module';
export * from './strategy.errors';
export * from './strategy.service';
export type { StrategyRecord, StrategyVersionRecord } from './strategy.repository';
export * from './dto/strategy.dto';
