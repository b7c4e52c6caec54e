import { API_COUNT } from '@gad/observability';
import { ApiProperty } from '@nestjs/swagger';

export class CacheTierStatsDto {
  @ApiProperty({ ...API_COUNT, description: 'Reads this tier answered.' })
  hits!: number;

  @ApiProperty({ ...API_COUNT, description: 'Reads this tier could not answer (they went on to the next tier).' })
  misses!: number;
}

export class CacheTiersDto {
  @ApiProperty({ description: "This process's memory (values cached with `memory: true`).", type: CacheTierStatsDto })
  memory!: CacheTierStatsDto;

  @ApiProperty({ description: 'The shared store (Redis, or a bounded map without it).', type: CacheTierStatsDto })
  shared!: CacheTierStatsDto;
}

export class CacheStatsDto {
  @ApiProperty({ enum: ['redis', 'memory'] })
  backend!: 'redis' | 'memory';

  @ApiProperty({ ...API_COUNT, description: 'Reads served from either tier (this process).' })
  hits!: number;

  @ApiProperty({
    ...API_COUNT,
    description: 'Reads that fell through to the source, including those Redis failed to answer.',
  })
  misses!: number;

  @ApiProperty({ description: 'hits / (hits + misses), 0 before the first read.', example: 0.93 })
  hit_ratio!: number;

  @ApiProperty({
    ...API_COUNT,
    description: 'Cache operations that could not use Redis (the request went on without it).',
  })
  errors!: number;

  @ApiProperty({ description: 'The same reads per tier: a memory miss goes on to the shared store.', type: CacheTiersDto })
  tiers!: CacheTiersDto;
}

export class CacheInvalidationDto {
  @ApiProperty({ ...API_COUNT, description: 'How many keys held a value and were removed.' })
  deleted!: number;
}
