import { Module, type DynamicModule, type ForwardReference, type Type } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@gad/config';
import { DatabaseModule } from '@gad/database';
import { HealthModule } from '@gad/health';
import { LoggingModule } from '@gad/observability';
import { SCHEMA } from './schema.js';

export type ModuleImport = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

@Module({})
export class AppModule {
  static register(config: AppConfig, extra: ModuleImport[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), LoggingModule, DatabaseModule.forRoot(SCHEMA), HealthModule, ...extra],
    };
  }
}
