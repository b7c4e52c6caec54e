import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayUnique, IsArray, IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '@gad/access';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class CreateUserDto {
  @ApiProperty({ example: 'ana@example.com', maxLength: 320 })
  @Transform(lower)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email!: string;

  @ApiProperty({ example: "Ana O'Brien", minLength: 1, maxLength: 200 })
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'full_name must not be empty' })
  @MaxLength(200)
  full_name!: string;

  @ApiProperty({ minLength: 12, description: 'At least 12 characters, at most 72 bytes, not the email, not a common password.' })
  @IsString()
  password!: string;

  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() is_active?: boolean;
  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() is_superuser?: boolean;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, default: ['operator'] })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLES.join(', ')}` })
  roles?: Role[];
}

export class UpdateUserDto {
  @ApiPropertyOptional({ maxLength: 320 })
  @IsOptional()
  @Transform(lower)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'full_name must not be empty' })
  @MaxLength(200)
  full_name?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() password?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_active?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_superuser?: boolean;

  @ApiPropertyOptional({ enum: ROLES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLES.join(', ')}` })
  roles?: Role[];
}

export class UpdateMeDto {
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'full_name must not be empty' })
  @MaxLength(200)
  full_name!: string;
}
