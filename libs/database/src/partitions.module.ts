import { Module } from '@nestjs/common';
import { MonthlyPartitions } from './monthly-partitions.js';

/** The one MonthlyPartitions: feature modules import this and register their log in onModuleInit. */
@Module({
  providers: [MonthlyPartitions],
  exports: [MonthlyPartitions],
})
export class PartitionsModule {}
