export * from './cache.store.js';
export * from './cache.service.js';
export * from './redis.readiness.js';
export * from './cache.module.js';
export * from './near-cache.service.js';
