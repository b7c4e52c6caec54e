import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { authConfig } from '@gad/config';
import { ProblemException } from '@gad/observability';
import type { PageQueryDto } from './page-query.dto.js';

/** Where a page ends: the last row's place in the list's (created_at, id) order. */
export interface Position {
  createdAt: Date;
  id: string;
}

/** A list page request, as a repository reads it. */
export interface PageRequest {
  limit: number;
  /** Offset mode. */
  skip?: number;
  /** Cursor mode: the rows after this position. */
  after?: Position;
  /** Count the whole list too. */
  count: boolean;
}

export interface PageRows<T> {
  rows: T[];
  /** There are rows after these. */
  more: boolean;
  total?: number;
}

/** What every list answers (docs/API.md, "Pages"). */
export interface Page<T> {
  items: T[];
  limit: number;
  next_cursor: string | null;
  skip?: number;
  total?: number;
}

// A cursor outlives any reasonable walk through a list, not a deployment's key rotation.
const CURSOR_TTL_MS = 24 * 60 * 60 * 1000;
const SIGNATURE_BYTES = 16;

interface CursorClaims {
  /** list */
  l: string;
  /** filters, as given */
  f: string;
  /** created_at (ms) and id of the last row */
  t: number;
  i: string;
  /** expiry (ms) */
  e: number;
}

/**
 * Opaque, tamper-evident cursors: the last row's position, bound to the list and its filters, signed with a
 * key derived from SECRET_KEY and valid for a day. A bad cursor is a 400 naming `cursor`, never a 500.
 */
@Injectable()
export class PageCursors {
  private readonly key: Buffer;

  constructor(@Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>) {
    this.key = createHmac('sha256', auth.secretKey).update('page-cursor').digest();
  }

  /** The request a repository runs for this query on this list with these filters. */
  request(list: string, filters: Record<string, unknown>, query: PageQueryDto, now = Date.now()): PageRequest {
    if (query.cursor !== undefined && query.skip !== undefined) throw badCursor('Send either cursor or skip, not both.');
    const after = query.cursor === undefined ? undefined : this.open(list, filters, query.cursor, now);
    return { limit: query.limit, skip: query.skip, after, count: query.skip !== undefined || query.count === 'exact' };
  }

  /** The page answer for these rows. */
  page<Row extends Position, Item>(
    list: string,
    filters: Record<string, unknown>,
    request: PageRequest,
    result: PageRows<Row>,
    toItem: (row: Row) => Item,
    now = Date.now(),
  ): Page<Item> {
    const last = result.rows.at(-1);
    const page: Page<Item> = {
      items: result.rows.map(toItem),
      limit: request.limit,
      next_cursor: result.more && last ? this.seal(list, filters, last, now) : null,
    };
    if (request.skip !== undefined) page.skip = request.skip;
    if (result.total !== undefined) page.total = result.total;
    return page;
  }

  seal(list: string, filters: Record<string, unknown>, last: Position, now = Date.now()): string {
    const claims: CursorClaims = {
      l: list,
      f: filterKey(filters),
      t: last.createdAt.getTime(),
      i: last.id,
      e: now + CURSOR_TTL_MS,
    };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.sign(body).toString('base64url')}`;
  }

  open(list: string, filters: Record<string, unknown>, cursor: string, now = Date.now()): Position {
    const [body, signature, extra] = cursor.split('.');
    const given = Buffer.from(signature ?? '', 'base64url');
    if (!body || extra !== undefined || given.length !== SIGNATURE_BYTES || !timingSafeEqual(given, this.sign(body))) {
      throw badCursor('cursor is not one this API issued (altered or cut short).');
    }
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as CursorClaims;
    if (claims.l !== list || claims.f !== filterKey(filters)) {
      throw badCursor('cursor belongs to another list or other filters: send it with the filters it came with.');
    }
    if (claims.e < now) throw badCursor('cursor has expired: start again from the first page.');
    return { createdAt: new Date(claims.t), id: claims.i };
  }

  private sign(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, SIGNATURE_BYTES);
  }
}

/**
 * One page of a query in (created_at, id) order: after a position (cursor mode, served by the list's
 * (…, created_at, id) index whatever the depth) or at an offset; one row more than asked tells whether
 * another page follows. `query` holds the filters; it is cloned for the count.
 */
export async function readPage<T extends ObjectLiteral & Position>(
  query: SelectQueryBuilder<T>,
  order: 'ASC' | 'DESC',
  request: PageRequest,
): Promise<PageRows<T>> {
  const rows = await pageIds(query.clone(), order, request).getMany();
  const more = rows.length > request.limit;
  return { rows: rows.slice(0, request.limit), more, total: request.count ? await query.getCount() : undefined };
}

/** The same window as readPage's, for wrapping: `WHERE x.id IN (<this>)` when the page joins other tables. */
export function pageIds<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  order: 'ASC' | 'DESC',
  request: PageRequest,
): SelectQueryBuilder<T> {
  const alias = query.alias;
  if (request.after) {
    // the plain created_at bound adds nothing to the row comparison but lets a partitioned log skip the months
    // beyond the cursor at plan time (PostgreSQL does not prune on a row comparison)
    const [row, plain] = order === 'ASC' ? ['>', '>='] : ['<', '<='];
    query.andWhere(`${alias}.createdAt ${plain} :afterAt AND (${alias}.createdAt, ${alias}.id) ${row} (:afterAt, :afterId)`, {
      afterAt: request.after.createdAt,
      afterId: request.after.id,
    });
  }
  query
    .orderBy(`${alias}.createdAt`, order)
    .addOrderBy(`${alias}.id`, order)
    .limit(request.limit + 1);
  if (request.skip) query.offset(request.skip);
  return query;
}

function filterKey(filters: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(filters)
      .sort()
      .map((name) => [name, filters[name] ?? null]),
  );
}

function badCursor(message: string): ProblemException {
  return new ProblemException(HttpStatus.BAD_REQUEST, {
    title: 'Validation failed',
    detail: message,
    errors: [{ field: 'cursor', message }],
  });
}
