export * from './realtime.constants.js';
export * from './dto/notification-broadcast.dto.js';
export * from './dto/auth-refresh.dto.js';
export * from './dto/server-events.dto.js';
export * from './realtime.service.js';
export * from './realtime-io.adapter.js';
export * from './realtime.module.js';
