import { HttpStatus, ParseUUIDPipe } from '@nestjs/common';
import { ProblemException } from './problem.js';

/** A path id that is not a UUID is the client's mistake: 400 naming the field, never a 500 from the database. */
export function uuidParam(field = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () =>
      new ProblemException(HttpStatus.BAD_REQUEST, {
        title: 'Validation failed',
        detail: `${field} must be a UUID`,
        errors: [{ field, message: `${field} must be a UUID` }],
      }),
  });
}
