import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { IsOmittable } from '@gad/observability';
import { MAX_PASSWORD_BYTES, MaxPasswordLength, toNormalizedEmail } from '@gad/users';

/** JSON `{email, password}` or the OAuth2 password form `username=&password=` (Swagger's Authorize button). */
export class LoginDto {
  @ApiPropertyOptional({
    example: 'admin@grupogad.com',
    description: 'Required unless `username` is sent (OAuth2 form).',
    format: 'email',
    maxLength: 320,
  })
  // checked whenever sent (it wins over `username`), and required when `username` is not
  @ValidateIf((o: LoginDto) => o.email !== undefined || o.username === undefined)
  @Transform(toNormalizedEmail)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ description: 'OAuth2 password flow: the email.', format: 'email', maxLength: 320 })
  @IsOmittable()
  @Transform(toNormalizedEmail)
  @IsEmail({}, { message: 'username must be the email address' })
  @MaxLength(320)
  username?: string;

  @ApiProperty({
    minLength: 1,
    maxLength: MAX_PASSWORD_BYTES,
    format: 'password',
    description: `At most ${MAX_PASSWORD_BYTES} bytes.`,
  })
  @IsString()
  @MinLength(1, { message: 'password must not be empty' })
  @MaxPasswordLength()
  password!: string;

  // The rest of the OAuth2 password form, accepted and ignored.
  @ApiPropertyOptional({ enum: ['password'] }) @IsOptional() @IsIn(['password']) grant_type?: string;
  @ApiPropertyOptional({ maxLength: 1000 }) @IsOptional() @IsString() @MaxLength(1000) scope?: string;
  @ApiPropertyOptional({ maxLength: 200 }) @IsOptional() @IsString() @MaxLength(200) client_id?: string;
  @ApiPropertyOptional({ maxLength: 200, format: 'password' }) @IsOptional() @IsString() @MaxLength(200) client_secret?: string;
}

export class ChangePasswordDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_PASSWORD_BYTES, format: 'password' })
  @IsString()
  @MinLength(1, { message: 'current_password must not be empty' })
  @MaxPasswordLength()
  current_password!: string;

  @ApiProperty({
    minLength: 12,
    maxLength: MAX_PASSWORD_BYTES,
    format: 'password',
    description: `At least 12 characters, at most ${MAX_PASSWORD_BYTES} bytes, not the email, not a common password.`,
  })
  @IsString()
  @MaxPasswordLength()
  new_password!: string;
}

export class TokenResponseDto {
  @ApiProperty({ description: 'A JWT (HS256) to send as `Authorization: Bearer …`.' })
  access_token!: string;

  @ApiProperty({ enum: ['bearer'] })
  token_type!: 'bearer';

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 60,
    maximum: 86_400,
    description: 'Seconds until the access token expires (ACCESS_TOKEN_EXPIRE_MINUTES × 60).',
  })
  expires_in!: number;
}
