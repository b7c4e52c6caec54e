export * from './audit.module.js';
export * from './audit.service.js';
export * from './entities/audit-log.entity.js';
