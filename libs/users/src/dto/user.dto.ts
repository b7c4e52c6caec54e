import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '@gad/access';
import { MAX_PAGE_SIZE, PageMetaDto } from '@gad/database';
import { roleNamesOf, type UserEntity } from '../entities/user.entity.js';

/** A user as clients see it. The password hash never leaves the service layer. */
export class UserDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiProperty({ example: 'ana@example.com', format: 'email', maxLength: 320 }) email!: string;
  @ApiProperty({ example: "Ana O'Brien", maxLength: 200 }) full_name!: string;
  @ApiProperty() is_active!: boolean;
  @ApiProperty() is_superuser!: boolean;
  @ApiProperty({ enum: ROLES, isArray: true, maxItems: ROLES.length }) roles!: Role[];
  @ApiProperty() must_change_password!: boolean;
  @ApiProperty({ format: 'date-time', maxLength: 30 }) created_at!: string;
  @ApiProperty({ format: 'date-time', maxLength: 30 }) updated_at!: string;

  static from(user: UserEntity): UserDto {
    return {
      id: user.id,
      email: user.email,
      full_name: user.fullName,
      is_active: user.isActive,
      is_superuser: user.isSuperuser,
      roles: roleNamesOf(user),
      must_change_password: user.mustChangePassword,
      created_at: user.createdAt.toISOString(),
      // created_at is stored to the millisecond (rounded) and updated_at to the microsecond, both from one now():
      // read at milliseconds, a new user's could show updated_at a millisecond before created_at
      updated_at: new Date(Math.max(user.updatedAt.getTime(), user.createdAt.getTime())).toISOString(),
    };
  }
}

export class UserPageDto extends PageMetaDto {
  @ApiProperty({ type: [UserDto], maxItems: MAX_PAGE_SIZE }) items!: UserDto[];
}
