import { ProblemException } from './problem.js';

// PostgreSQL cannot store NUL, and its jsonb rejects unpaired UTF-16 surrogates: such text would
// become a 500 (or silently lose an audit row). It is refused at the edge instead.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const UNSAFE_TEXT_DETAIL =
  'The request body contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored.';

export function isSafeText(value: string): boolean {
  return !UNSAFE.test(value);
}

/** A JSON.parse reviver for request bodies (the form parser calls it per field): refuses text the database could not store, with 400. */
export function checkBodyEntry(key: string, value: unknown): unknown {
  if ((typeof value === 'string' && !isSafeText(value)) || !isSafeText(key)) {
    throw new ProblemException(400, { detail: UNSAFE_TEXT_DETAIL });
  }
  return value;
}

/** Replaces what PostgreSQL cannot store, for values that must be written whatever they hold (the audit trail). */
export function storableText(value: string): string {
  return value.replace(new RegExp(UNSAFE.source, 'g'), '\uFFFD');
}
