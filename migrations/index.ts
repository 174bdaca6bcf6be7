import { WorkerHeartbeats1763740000000 } from './1763740000000-worker-heartbeats';
import { Auth1763800000000 } from './1763800000000-auth';
import { AuditEvents1763800100000 } from './1763800100000-audit-events';
import { ExchangeCredentials1763800200000 } from './1763800200000-exchange-credentials';
import { MarketData1763900000000 } from './1763900000000-market-data';
import { MarketSync1763900100000 } from './1763900100000-market-sync';
import { Strategies1764000000000 } from './1764000000000-strategies';
import { TieredBacktests1764000050000 } from './1764000050000-tiered-backtests';
import { AiChat1764000100000 } from './1764000100000-ai-chat';
import { MarketChunks1765100000000 } from './1765100000000-market-chunks';

/**
 * Every migration, oldest first. `npm run migration:generate` writes a new file
 * here; add its class to this list (a unit test fails when one is missing).
 */
export const ALL_MIGRATIONS = [
  WorkerHeartbeats1763740000000,
  Auth1763800000000,
  AuditEvents1763800100000,
  ExchangeCredentials1763800200000,
  MarketData1763900000000,
  MarketSync1763900100000,
  Strategies1764000000000,
  TieredBacktests1764000050000,
  AiChat1764000100000,
  MarketChunks1765100000000,
];
