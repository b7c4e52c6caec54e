export * from './app-config.js';
export * from './config.module.js';
export * from './database-url.js';
export * from './env-variables.js';
export * from './load-config.js';
