export * from './redis-breaker.js';
export * from './redis.module.js';
export * from './redis.service.js';
