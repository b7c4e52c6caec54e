export * from './cache.module.js';
export * from './cache.service.js';
export { CacheUnavailable, type CacheBackend, type Eviction } from './cache.repository.js';
