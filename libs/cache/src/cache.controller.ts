import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@gad/observability';
import { CacheService } from './cache.service.js';
import { CacheInvalidationDto, CacheStatsDto } from './dto/cache-stats.dto.js';
import { InvalidateCacheDto } from './dto/invalidate-cache.dto.js';
import { Authenticated } from '@gad/access';

@ApiTags('cache')
@Authenticated('admin')
@Controller('cache')
export class CacheController {
  constructor(private readonly cache: CacheService) {}

  @Get('stats')
  @ApiOperation({ summary: "This process's cache counters and backend." })
  @ApiOkResponse({ type: CacheStatsDto })
  stats(): CacheStatsDto {
    return this.cache.stats();
  }

  @Post('invalidate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Invalidate one key or every key under a prefix.' })
  @ApiOkResponse({ type: CacheInvalidationDto })
  @ApiProblems({ 400: 'Not exactly one of `key` or `prefix`, or an empty or over-long one.' })
  async invalidate(@Body() body: InvalidateCacheDto): Promise<CacheInvalidationDto> {
    return { deleted: await this.cache.invalidateOrFail(body.key !== undefined ? { key: body.key } : { prefix: body.prefix! }) };
  }
}
