export * from './admin-seed.service.js';
export * from './auth.module.js';
export * from './auth.service.js';
export * from './auth-cookies.js';
export * from './entities/refresh-token.entity.js';
export * from './entities/session.entity.js';
export * from './token.service.js';
export * from './sessions-retention.service.js';
