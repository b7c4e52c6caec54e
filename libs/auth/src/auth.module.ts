import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@gad/audit';
import { UsersModule } from '@gad/users';
import { authConfig } from '@gad/config';
import { AdminSeedService } from './admin-seed.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { RefreshTokenEntity } from './entities/refresh-token.entity.js';
import { SessionEntity } from './entities/session.entity.js';
import { JwtAuthGuard, RolesGuard } from './guards.js';
import { LoginLimiterService } from './login-limiter.service.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsRetentionService } from './sessions-retention.service.js';
import { TokenService, jwtModuleOptions } from './token.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([SessionEntity, RefreshTokenEntity]),
    JwtModule.registerAsync({ inject: [authConfig.KEY], useFactory: jwtModuleOptions }),
    UsersModule,
    AuditModule,
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    TokenService,
    SessionsRepository,
    LoginLimiterService,
    SessionsRetentionService,
    AdminSeedService,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [AuthService, AdminSeedService, SessionsRetentionService],
})
export class AuthModule {}
