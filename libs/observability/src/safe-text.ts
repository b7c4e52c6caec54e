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

// NestJS's ValidationPipe deletes these keys (prototype pollution) without a word, so a body or socket event
// carrying one would pass with a field silently ignored instead of the 400 any other unknown field gets.
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why a key is refused in a request body or socket event, or undefined when it is not one of those keys. */
export function prototypeKeyProblem(key: string): string | undefined {
  return PROTOTYPE_KEYS.has(key) ? `The key "${key}" is not accepted.` : undefined;
}

/**
 * Checks one key and value of a request body (a JSON.parse reviver; the form parser calls it per field):
 * refuses prototype keys and text the database could not store, with 400.
 */
export function checkBodyEntry(key: string, value: unknown): unknown {
  const keyProblem = prototypeKeyProblem(key);
  if (keyProblem) throw new ProblemException(400, { detail: keyProblem });
  if ((typeof value === 'string' && !isSafeText(value)) || !isSafeText(key)) {
    throw new ProblemException(400, { detail: UNSAFE_TEXT_DETAIL });
  }
  return value;
}

/** Replaces what PostgreSQL cannot store, for values that must be written whatever they hold (the audit trail). */
export function storableText(value: string): string {
  return value.replace(new RegExp(UNSAFE.source, 'g'), '\uFFFD');
}
