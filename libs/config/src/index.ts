export * from './config.module.js';
export * from './database-url.js';
export * from './docs.js';
export * from './effective.js';
export * from './environment.js';
export * from './environment.schema.js';
export * from './slices.js';
