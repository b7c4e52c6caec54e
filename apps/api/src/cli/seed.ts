import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AdminSeedService } from '@gad/auth';
import { ConfigError, readConfiguration } from '@gad/config';
import { AppModule } from '../app.module.js';

// npm run seed: the same idempotent admin seed the app runs at boot.
const { configuration: config, problems } = readConfiguration();
if (problems.length > 0) {
  console.error(new ConfigError(problems).message);
  process.exit(1);
}
const app = await NestFactory.createApplicationContext(AppModule.register(config), { logger: ['error', 'warn'] });
// the context's bootstrap already ran the seed; seed() again is a no-op unless it raced another replica
const seeder = app.get(AdminSeedService);
const created = (await seeder.seed()) || seeder.created;
console.log(
  created ? `admin ${config.auth.adminEmail} created` : `admin ${config.auth.adminEmail} already exists; left unchanged`,
);
await app.close();
