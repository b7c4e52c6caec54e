import { HttpStatus, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidateIf, type ValidationOptions } from 'class-validator';
import { ProblemException, type FieldError } from './problem.js';

/** A 400 lists at most this many field errors, each text cut to MAX_FIELD_ERROR_TEXT (unknown keys are echoed). */
export const MAX_FIELD_ERRORS = 100;
export const MAX_FIELD_ERROR_TEXT = 500;

/**
 * One message per field: the rule declared first (topmost) among those it breaks, so `{"full_name": 123}` reads
 * "full_name must be a string", not "must be shorter than 200 characters". Decorators apply bottom-up, so
 * class-validator runs a property's rules last-declared first and the first-declared broken rule is the last
 * in `constraints` (its own stopAtFirstError would name the last-declared one). class-validator runs @IsDefined
 * first and nested validation last whatever their place; no DTO here uses either.
 */
function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const message = Object.values(error.constraints ?? {}).at(-1);
    const own =
      message === undefined
        ? []
        : [{ field: field.slice(0, MAX_FIELD_ERROR_TEXT), message: message.slice(0, MAX_FIELD_ERROR_TEXT) }];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

// NestJS's pipe deletes these keys (prototype pollution) without a word, so a body, query or socket event carrying
// one passed with a field silently ignored, where any other unknown field is a 400.
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** The first prototype key anywhere in a parsed value (bounded already: JSON_MAX_* or the query string). */
function prototypeKeyIn(value: unknown): string | undefined {
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    for (const key of Object.keys(node)) {
      if (PROTOTYPE_KEYS.has(key)) return key;
      stack.push((node as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}

/** NestJS's pipe, refusing prototype keys (400) where it would strip them. */
class StrictValidationPipe extends ValidationPipe {
  protected override stripProtoKeys(value: unknown): void {
    const key = prototypeKeyIn(value);
    if (key !== undefined) throw new ProblemException(HttpStatus.BAD_REQUEST, { detail: `The key "${key}" is not accepted.` });
  }
}

/** Whitelisting validation whose failures are 400 problem details with an `errors` list. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flattenValidationErrors(errors);
      return new ProblemException(HttpStatus.BAD_REQUEST, {
        type: 'about:blank',
        title: 'Validation failed',
        detail: fieldErrors.length === 1 ? fieldErrors[0].message : `${fieldErrors.length} fields are invalid.`,
        errors: fieldErrors.slice(0, MAX_FIELD_ERRORS),
      });
    },
  });
}

/**
 * A body field that may be left out. Unlike class-validator's `@IsOptional()`, `null` is not "left out": it is
 * validated like any other value (so `{"roles": null}` is a 400, not a wipe or a database error).
 */
export function IsOmittable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined, options);
}
