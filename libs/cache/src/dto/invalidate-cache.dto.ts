import { ApiPropertyOptional } from '@nestjs/swagger';
import { registerDecorator, type ValidationArguments } from 'class-validator';

const MAX_KEY_LENGTH = 512;

/** Exactly one of the named properties must be present. */
function ExactlyOneOf(properties: string[]): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'exactlyOneOf',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `exactly one of ${properties.join(' or ')} is required` },
      validator: {
        validate: (_value: unknown, args: ValidationArguments) =>
          properties.filter((p) => (args.object as Record<string, unknown>)[p] !== undefined).length === 1,
      },
    });
  };
}

export class InvalidateCacheDto {
  // The exactly-one rule sits on `key` without @IsOptional so that it always runs.
  @ApiPropertyOptional({
    description: 'One cache key to invalidate (without the namespace).',
    example: 'user:42',
    minLength: 1,
    maxLength: MAX_KEY_LENGTH,
  })
  @ExactlyOneOf(['key', 'prefix'])
  @ValidateStringIfPresent()
  key?: string;

  @ApiPropertyOptional({
    description: 'Invalidate every key that starts with this.',
    example: 'user:',
    minLength: 1,
    maxLength: MAX_KEY_LENGTH,
  })
  @ValidateStringIfPresent()
  prefix?: string;
}

/** A string of 1 to MAX_KEY_LENGTH characters when present (`null` is not absent); other rules on the property still run. */
function ValidateStringIfPresent(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'stringIfPresent',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property must be a string of 1 to ${MAX_KEY_LENGTH} characters` },
      validator: {
        validate: (value: unknown) =>
          value === undefined || (typeof value === 'string' && value.length >= 1 && value.length <= MAX_KEY_LENGTH),
      },
    });
  };
}
