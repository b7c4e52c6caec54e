export * from './redis.module.js';
export * from './redis.service.js';
