import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, readConfiguration } from '@gad/config';
import { buildDataSourceOptions } from '@gad/database';
import { SCHEMA } from '../schema.js';

// For the TypeORM CLI (migration:generate). TypeORM 1.x no longer reads .env itself: libs/config does.
const { configuration, problems } = readConfiguration();
if (problems.length > 0) throw new ConfigError(problems);
export default new DataSource(buildDataSourceOptions(configuration, SCHEMA));
