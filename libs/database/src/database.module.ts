import { Logger, Module, type DynamicModule } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { appConfig, databaseConfig } from '@gad/config';
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
          inject: [appConfig.KEY, databaseConfig.KEY],
          useFactory: (app: ConfigType<typeof appConfig>, database: ConfigType<typeof databaseConfig>) => {
            boot.runMigrations = database.runMigrations;
            return { ...buildDataSourceOptions({ app, database }, schema), retryAttempts: 3, retryDelay: 2000 };
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
