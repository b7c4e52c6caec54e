import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { AppConfig } from '@gad/config';
import { buildDataSourceOptions, type SchemaParts } from './data-source-options.js';
import { runPendingMigrations } from './migration-runner.js';
import { DatabaseMetrics } from './database.metrics.js';

interface BootOptions {
  runMigrations: boolean;
}

/** TypeORM on PostgreSQL or embedded PGlite; migrations (when enabled) finish before anything can query. */
@Module({})
export class DatabaseModule {
  static forRoot(schema: SchemaParts): DynamicModule {
    const boot: BootOptions = { runMigrations: false };
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            boot.runMigrations = config.database.runMigrations;
            return { ...buildDataSourceOptions(config, schema), retryAttempts: 3, retryDelay: 2000 };
          },
          dataSourceFactory: async (options?: DataSourceOptions) => {
            const dataSource = await new DataSource(options!).initialize();
            if (boot.runMigrations) {
              const applied = await runPendingMigrations(dataSource);
              if (applied.length > 0) {
                new Logger('Database').log(`applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
              }
            }
            return dataSource;
          },
        }),
      ],
      providers: [DatabaseMetrics],
      exports: [TypeOrmModule],
    };
  }
}
