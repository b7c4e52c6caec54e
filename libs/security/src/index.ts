export * from './access.decorators.js';
export * from './authenticated-user.js';
export * from './public.decorator.js';
