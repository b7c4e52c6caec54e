export * from './counters.service.js';
export * from './limits.module.js';
export * from './rate-limit.guard.js';
export * from './throttler.storage.js';
