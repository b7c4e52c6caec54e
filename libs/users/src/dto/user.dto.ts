import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '@gad/access';
import { roleNamesOf, type UserEntity } from '../entities/user.entity.js';

/** A user as clients see it. The password hash never leaves the service layer. */
export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'ana@example.com' }) email!: string;
  @ApiProperty({ example: "Ana O'Brien" }) full_name!: string;
  @ApiProperty() is_active!: boolean;
  @ApiProperty() is_superuser!: boolean;
  @ApiProperty({ enum: ROLES, isArray: true }) roles!: Role[];
  @ApiProperty() must_change_password!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;

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
      updated_at: user.updatedAt.toISOString(),
    };
  }
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty() total!: number;
  @ApiProperty() skip!: number;
  @ApiProperty() limit!: number;
}
