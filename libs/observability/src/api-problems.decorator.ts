import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiParam, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { MAX_FIELD_ERRORS, MAX_FIELD_ERROR_TEXT } from './validation.js';
import { MAX_REQUEST_ID_LENGTH } from './request-id.js';

export class FieldErrorDto {
  @ApiProperty({ description: 'The field, as a dotted path (`roles.0`).', maxLength: MAX_FIELD_ERROR_TEXT, example: 'email' })
  field!: string;

  @ApiProperty({ maxLength: MAX_FIELD_ERROR_TEXT, example: 'email must be a valid email address' })
  message!: string;
}

/** RFC 9457 problem details: every error the API answers has this body, as `application/problem+json`. */
export class ProblemDto {
  @ApiProperty({
    description: 'A URI naming the problem type; `about:blank` when the status says it all.',
    example: 'about:blank',
  })
  type!: string;

  @ApiProperty({ description: 'The HTTP status text, or a short title such as "Validation failed".', example: 'Not Found' })
  title!: string;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 400, maximum: 599, example: 404 })
  status!: number;

  @ApiProperty({ description: 'A sentence for a person; never a stack trace, SQL, a hash or a secret.' })
  detail!: string;

  @ApiProperty({ description: 'The request path.', example: '/api/v1/users/0b0e…' })
  instance!: string;

  @ApiProperty({
    description: 'The X-Request-Id of the request; quote it when reporting a problem.',
    maxLength: MAX_REQUEST_ID_LENGTH,
  })
  request_id!: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    maxItems: MAX_FIELD_ERRORS,
    description: `Validation failures, one per field (at most ${MAX_FIELD_ERRORS}).`,
  })
  errors?: FieldErrorDto[];
}

/** The statuses an operation may answer with problem details. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;

/**
 * Documents problem+json answers, each with what it means for this operation:
 * `@ApiProblems({ 404: 'No such user.', 409: 'Email already taken.' })`. Works on a handler or a
 * controller. The answers every operation shares (400, 413, 415, 429, 500, 503) and the rate-limit
 * headers are added to the whole document in one place (apps/api/src/openapi-conventions.ts).
 */
export function ApiProblems(problems: Partial<Record<ProblemStatus, string>>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...Object.entries(problems).map(([status, description]) =>
      ApiResponse({ status: Number(status), description, content: problemContent() }),
    ),
  );
}

export function problemContent(): Record<string, { schema: { $ref: string } }> {
  return { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } };
}

/** A UUID path parameter (paired with the uuidParam() pipe, which answers 400 for anything else). */
export function ApiUuidParam(name = 'id', description?: string): MethodDecorator {
  return ApiParam({ name, description, schema: { type: 'string', format: 'uuid', maxLength: 36 } });
}

/**
 * A count or duration in a response, as an integer that generated clients type as one (a bare `number` becomes a
 * float), bounded as the OWASP ruleset asks: up to the largest integer a JSON parser in JavaScript reads exactly.
 */
export const API_COUNT = { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
