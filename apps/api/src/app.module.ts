import { Module, type DynamicModule, type ForwardReference, type Type } from '@nestjs/common';
import { AuditModule } from '@gad/audit';
import { AuthModule } from '@gad/auth';
import { AppConfig, ConfigModule } from '@gad/config';
import { RedisModule } from '@gad/cache';
import { DatabaseModule } from '@gad/database';
import { HealthModule } from '@gad/health';
import { LoggingModule } from '@gad/observability';
import { UsersModule } from '@gad/users';
import { SCHEMA } from './schema.js';

export type ModuleImport = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

@Module({})
export class AppModule {
  static register(config: AppConfig, extra: ModuleImport[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule.forRoot(SCHEMA),
        RedisModule,
        HealthModule,
        UsersModule,
        AuthModule,
        AuditModule,
        ...extra,
      ],
    };
  }
}
