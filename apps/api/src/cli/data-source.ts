import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '@gad/config';
import { buildDataSourceOptions } from '@gad/database';
import { SCHEMA } from '../schema.js';

// For the TypeORM CLI (migration:generate). TypeORM 1.x no longer reads .env itself: libs/config does.
export default new DataSource(buildDataSourceOptions(loadAppConfig(), SCHEMA));
