import { API_COUNT } from '@gad/observability';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 100;
/** Far past any real table, and well inside PostgreSQL's bigint OFFSET (1e20 would be a 500). */
const MAX_SKIP = 1_000_000_000;
export const MAX_CURSOR_LENGTH = 512;

/**
 * Paging for every list (docs/API.md, "Pages"): a cursor walk by default (`cursor` from the previous page's
 * `next_cursor`), or offset paging when `skip` is given (with `total`, as before). Out of range is a 400.
 */
export class PageQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: MAX_SKIP,
    description: 'Offset paging (compatibility): the page then also carries `skip` and `total`.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'skip must be an integer' })
  @Min(0)
  @Max(MAX_SKIP, { message: `skip must not be greater than ${MAX_SKIP}` })
  skip?: number;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: MAX_PAGE_SIZE, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 100;

  @ApiPropertyOptional({
    maxLength: MAX_CURSOR_LENGTH,
    description: "The previous page's `next_cursor`, with the same filters; valid for 24 hours.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CURSOR_LENGTH)
  cursor?: string;

  @ApiPropertyOptional({ enum: ['exact'], description: 'In cursor mode, also count the whole list (`total`).' })
  @IsOptional()
  @IsIn(['exact'], { message: 'count must be "exact"' })
  count?: 'exact';
}

/** What every page carries besides its items (each list's page class adds `items`). */
export class PageMetaDto {
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: MAX_PAGE_SIZE })
  limit!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: MAX_CURSOR_LENGTH,
    description: 'Pass as `?cursor=` for the next page; null on the last.',
  })
  next_cursor!: string | null;

  @ApiPropertyOptional({ ...API_COUNT, description: 'Offset mode only.' })
  skip?: number;

  @ApiPropertyOptional({ ...API_COUNT, description: 'Offset mode, or cursor mode with `count=exact`.' })
  total?: number;
}
