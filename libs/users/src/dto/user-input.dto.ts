import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsEmail, IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '@gad/access';
import { IsOmittable } from '@gad/observability';
import { MAX_PASSWORD_BYTES } from '../password.service.js';
import { MaxPasswordLength } from './password-length.decorator.js';
import { EMAIL_POLICY, IsAccountEmail, toNormalizedEmail } from '../email.js';

// what trimming leaves non-empty (validation trims full_name first)
const NOT_BLANK = '\\S';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const PASSWORD_RULES = `At least 12 characters, at most ${MAX_PASSWORD_BYTES} bytes, not the email, not a common password.`;

export class CreateUserDto {
  @ApiProperty({ example: 'ana@example.com', format: 'email', maxLength: 320, description: EMAIL_POLICY })
  @Transform(toNormalizedEmail)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @IsAccountEmail()
  @MaxLength(320)
  email!: string;

  @ApiProperty({ example: "Ana O'Brien", minLength: 1, maxLength: 200, pattern: NOT_BLANK })
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'full_name must not be empty' })
  @MaxLength(200)
  full_name!: string;

  @ApiProperty({ minLength: 12, maxLength: MAX_PASSWORD_BYTES, format: 'password', description: PASSWORD_RULES })
  @IsString()
  @MaxPasswordLength()
  password!: string;

  @ApiPropertyOptional({ default: true }) @IsOmittable() @IsBoolean() is_active?: boolean;
  @ApiPropertyOptional({ default: false }) @IsOmittable() @IsBoolean() is_superuser?: boolean;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, maxItems: ROLES.length, uniqueItems: true, default: ['operator'] })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLES.join(', ')}` })
  roles?: Role[];
}

export class UpdateUserDto {
  @ApiPropertyOptional({ format: 'email', maxLength: 320, description: EMAIL_POLICY })
  @IsOmittable()
  @Transform(toNormalizedEmail)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @IsAccountEmail()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 200, pattern: NOT_BLANK })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'full_name must not be empty' })
  @MaxLength(200)
  full_name?: string;

  @ApiPropertyOptional({ minLength: 12, maxLength: MAX_PASSWORD_BYTES, format: 'password', description: PASSWORD_RULES })
  @IsOmittable()
  @IsString()
  @MaxPasswordLength()
  password?: string;

  @ApiPropertyOptional() @IsOmittable() @IsBoolean() is_active?: boolean;
  @ApiPropertyOptional() @IsOmittable() @IsBoolean() is_superuser?: boolean;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, maxItems: ROLES.length, uniqueItems: true })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLES.join(', ')}` })
  roles?: Role[];
}

export class UpdateMeDto {
  @ApiProperty({ minLength: 1, maxLength: 200, pattern: NOT_BLANK })
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'full_name must not be empty' })
  @MaxLength(200)
  full_name!: string;
}
