import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import {
  AppConfig,
  ConfigModule,
  DatabaseModule,
  DatabaseUrl,
  LoggingModule,
  MetricsModule,
  PlatformHealthModule,
  QueueModule,
  RedisModule,
} from '@app/platform';
import { AuthModule } from '@app/auth';
import { MarketModule } from '@app/market';
import { AiChatModule } from '@app/ai-chat';
import { StrategiesModule } from '@app/strategies';
import { TieredBacktestsModule } from '@app/tiered-backtests';
import { WorkerProcessorsModule } from '../../worker/src/worker-processors.module';
import { AiContextAdapter } from './ai-chat/ai-context.adapter';
import { AiProposalsController } from './ai-chat/ai-proposals.controller';
import { AiSessionsController } from './ai-chat/ai-sessions.controller';
import { AiUsageController } from './ai-chat/ai-usage.controller';
import { AdminAuditController } from './auth/admin-audit.controller';
import { AdminUsersController } from './auth/admin-users.controller';
import { ApiKeysController } from './auth/api-keys.controller';
import { AuthController } from './auth/auth.controller';
import { ExchangeCredentialsController } from './auth/exchange-credentials.controller';
import { AuthGuard } from './auth/auth.guard';
import { HealthController } from './health/health.controller';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { MarketImportsController } from './market/market-imports.controller';
import { MarketController } from './market/market.controller';
import { MetricsController } from './metrics/metrics.controller';
import { StrategiesController } from './strategies/strategies.controller';
import { TieredBacktestsController } from './tiered-backtests/tiered-backtests.controller';
import { ApiThrottlerGuard } from './throttle/throttle.guard';
import { ThrottleModule } from './throttle/throttle.module';

/** Root module of the HTTP API. Feature modules are added here as they land. */
@Module({})
export class ApiModule {
  static forRoot(
    config: AppConfig,
    databaseUrl: DatabaseUrl,
    extraModules: Array<Type<unknown> | DynamicModule> = [],
  ): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('api'),
        DatabaseModule.forRoot(databaseUrl),
        RedisModule,
        QueueModule.forRoot(),
        MetricsModule,
        PlatformHealthModule,
        AuthModule,
        MarketModule,
        // The assistant reads strategies and backtests through their own services (AI_CONTEXT).
        AiChatModule.forRoot({ context: AiContextAdapter, imports: [StrategiesModule, TieredBacktestsModule] }),
        StrategiesModule,
        TieredBacktestsModule,
        ThrottleModule,
        PrometheusModule.register({ controller: MetricsController, defaultMetrics: { enabled: false } }),
        // Embedded mode: the BullMQ workers run inside the API process.
        ...(config.runWorkerInApi ? [WorkerProcessorsModule] : []),
        ...extraModules,
      ],
      controllers: [
        HealthController,
        AuthController,
        ApiKeysController,
        AdminUsersController,
        AdminAuditController,
        ExchangeCredentialsController,
        MarketController,
        MarketImportsController,
        AiSessionsController,
        AiProposalsController,
        AiUsageController,
        StrategiesController,
        TieredBacktestsController,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        // Every route needs a token or API key unless marked @Public().
        { provide: APP_GUARD, useClass: AuthGuard },
        // After AuthGuard (global guards run in this order), so callers are counted by user id.
        { provide: APP_GUARD, useClass: ApiThrottlerGuard },
      ],
    };
  }
}
