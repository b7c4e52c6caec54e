import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';

const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** JSON `{email, password}` or the OAuth2 password form `username=&password=` (Swagger's Authorize button). */
export class LoginDto {
  @ApiPropertyOptional({ example: 'admin@grupogad.com', description: 'Required unless `username` is sent (OAuth2 form).' })
  @ValidateIf((o: LoginDto) => o.username === undefined)
  @Transform(lower)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ description: 'OAuth2 password flow: the email.' })
  @IsOptional()
  @Transform(lower)
  @IsEmail({}, { message: 'username must be the email address' })
  @MaxLength(320)
  username?: string;

  @ApiProperty({ minLength: 1 })
  @IsString()
  @MinLength(1, { message: 'password must not be empty' })
  @MaxLength(1024)
  password!: string;

  @ApiPropertyOptional({ enum: ['password'] }) @IsOptional() @IsIn(['password']) grant_type?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) scope?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) client_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) client_secret?: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MinLength(1, { message: 'current_password must not be empty' })
  @MaxLength(1024)
  current_password!: string;
  @ApiProperty({ minLength: 12, description: 'At least 12 characters, at most 72 bytes, not the email, not common.' })
  @IsString()
  @MaxLength(1024)
  new_password!: string;
}

export class TokenResponseDto {
  @ApiProperty() access_token!: string;
  @ApiProperty({ enum: ['bearer'] }) token_type!: 'bearer';
  @ApiProperty({ description: 'Seconds until the access token expires.' }) expires_in!: number;
}
