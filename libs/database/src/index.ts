export * from './data-source-options.js';
export * from './database.module.js';
export * from './migration-runner.js';
export * from './query-counter.js';
export * from './page-query.dto.js';
export * from './pages.js';
export * from './batched-delete.js';
