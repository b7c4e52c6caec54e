export * from './health.module.js';
export * from './lifecycle.service.js';
export * from './readiness.js';
export { liveness, type Liveness } from './health.controller.js';
