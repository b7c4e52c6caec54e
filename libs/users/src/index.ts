export * from './dto/password-length.decorator.js';
export * from './dto/user.dto.js';
export * from './entities/role.entity.js';
export * from './entities/user.entity.js';
export * from './password.service.js';
export * from './user-events.js';
export * from './users.module.js';
export * from './users.service.js';
