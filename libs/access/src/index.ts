export * from './roles.js';
export * from './authenticated-user.js';
export * from './access.decorators.js';
export * from './public.decorator.js';
export * from './trusted-origins.js';
