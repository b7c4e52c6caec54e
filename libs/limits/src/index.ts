export * from './counters.service.js';
export * from './limits.module.js';
export * from './rate-limit.guard.js';
export * from './throttled-clients.js';
export * from './throttler.storage.js';
