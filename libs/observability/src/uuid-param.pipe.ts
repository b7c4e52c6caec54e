import { HttpStatus, ParseUUIDPipe, type ArgumentMetadata } from '@nestjs/common';
import { ProblemException } from './problem.js';

/**
 * A path id that is not a UUID is the client's mistake: 400 naming the field, never a 500 from the database.
 * A valid one is passed on lower-cased, the form ids are stored and compared in (cache keys, events, "is this me").
 */
class CanonicalUuidPipe extends ParseUUIDPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<string | undefined | null> {
    return (await super.transform(value, metadata))?.toLowerCase();
  }
}

export function uuidParam(field = 'id'): ParseUUIDPipe {
  return new CanonicalUuidPipe({
    exceptionFactory: () =>
      new ProblemException(HttpStatus.BAD_REQUEST, {
        title: 'Validation failed',
        detail: `${field} must be a UUID`,
        errors: [{ field, message: `${field} must be a UUID` }],
      }),
  });
}
