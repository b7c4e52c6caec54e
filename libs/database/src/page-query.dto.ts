import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 100;
/** Far past any real table, and well inside PostgreSQL's bigint OFFSET (1e20 would be a 500). */
export const MAX_SKIP = 1_000_000_000;

/** `skip`/`limit` for every list endpoint: limit 1..100 (default 100), skip >= 0; out of range is a 400. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 0, maximum: MAX_SKIP, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'skip must be an integer' })
  @Min(0)
  @Max(MAX_SKIP, { message: `skip must not be greater than ${MAX_SKIP}` })
  skip: number = 0;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: MAX_PAGE_SIZE, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 100;
}
