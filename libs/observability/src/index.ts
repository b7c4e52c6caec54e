export * from './logging.module.js';
export * from './problem.js';
export * from './problem-details.filter.js';
export * from './problem-mapper.js';
export * from './request-id.js';
export * from './validation.js';
export * from './uuid-param.pipe.js';
