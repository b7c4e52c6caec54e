import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AdminSeedService } from '@gad/auth';
import { ConfigError, readEnvironment } from '@gad/config';
import { AppModule } from '../app.module.js';

// npm run seed: the same idempotent admin seed the app runs at boot.
const { config, problems } = readEnvironment();
if (problems.length > 0) {
  console.error(new ConfigError(problems).message);
  process.exit(1);
}
const app = await NestFactory.createApplicationContext(AppModule.register(config), { logger: ['error', 'warn'] });
const created = await app.get(AdminSeedService).seed();
console.log(created ? `admin ${config.admin.email} created` : `admin ${config.admin.email} already exists; left unchanged`);
await app.close();
