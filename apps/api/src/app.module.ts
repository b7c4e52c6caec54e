import { Module, type DynamicModule, type ForwardReference, type Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AiModule } from '@gad/ai';
import { AuditModule } from '@gad/audit';
import { AuthModule } from '@gad/auth';
import { AppConfigModule, type Configuration } from '@gad/config';
import { CacheModule } from '@gad/cache';
import { DatabaseModule } from '@gad/database';
import { HealthModule } from '@gad/health';
import { LoggingModule, MetricsModule } from '@gad/observability';
import { RealtimeModule } from '@gad/realtime';
import { LimitsModule } from '@gad/limits';
import { UsersModule } from '@gad/users';
import { SCHEMA } from './schema.js';
import { RedisModule } from '@gad/redis';

export type ModuleImport = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

@Module({})
export class AppModule {
  static register(config: Configuration, extra: ModuleImport[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        ScheduleModule.forRoot(), // retention jobs (the logs' monthly partitions, ended sessions)
        LoggingModule,
        MetricsModule,
        DatabaseModule.forRoot(SCHEMA),
        RedisModule,
        CacheModule,
        LimitsModule, // before AuthModule: its guard runs first, so unauthenticated floods are limited too
        HealthModule,
        UsersModule,
        AuthModule,
        AuditModule,
        AiModule,
        RealtimeModule,
        ...extra,
      ],
    };
  }
}
