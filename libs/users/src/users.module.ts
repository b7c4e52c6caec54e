import { PageCursors } from '@gad/database';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@gad/audit';
import { RoleEntity } from './entities/role.entity.js';
import { UserEntity } from './entities/user.entity.js';
import { PasswordService } from './password.service.js';
import { UserEvents } from './user-events.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, RoleEntity]), AuditModule],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, PasswordService, UserEvents, PageCursors],
  exports: [UsersService, PasswordService, UserEvents],
})
export class UsersModule {}
