import { ApiProperty } from '@nestjs/swagger';

export class CacheStatsDto {
  @ApiProperty({ enum: ['redis', 'memory'] })
  backend!: 'redis' | 'memory';

  @ApiProperty({ description: 'Reads served from the cache (this process).' })
  hits!: number;

  @ApiProperty({ description: 'Reads that fell through to the source, including those Redis failed to answer.' })
  misses!: number;

  @ApiProperty({ description: 'hits / (hits + misses), 0 before the first read.', example: 0.93 })
  hit_ratio!: number;

  @ApiProperty({ description: 'Cache operations that could not use Redis (the request went on without it).' })
  errors!: number;
}

export class CacheInvalidationDto {
  @ApiProperty({ description: 'How many keys held a value and were removed.' })
  deleted!: number;
}
