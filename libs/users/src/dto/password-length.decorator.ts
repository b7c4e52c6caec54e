import { MaxLength } from 'class-validator';
import { MAX_PASSWORD_BYTES } from '../password.service.js';

/**
 * A password field's upper bound, checked with the rest of the body: more than 72 characters is
 * always more than bcrypt's 72 bytes. The byte count itself is checked where the password is used.
 */
export function MaxPasswordLength(): PropertyDecorator {
  return MaxLength(MAX_PASSWORD_BYTES, {
    message: ({ property }) => `${property} must be at most ${MAX_PASSWORD_BYTES} bytes (bcrypt's limit)`,
  });
}
