export * from './ai.module.js';
export {
  AiService,
  excerptOf,
  toChatInput,
  type AiProviderStatus,
  type AiStats,
  type ChatAnswer,
  type ChatContext,
  type ChatInput,
  type ChatStreamEvent,
} from './ai.service.js';
export * from './chat-limits.pipe.js';
export * from './dto/chat-request.dto.js';
export * from './dto/chat-response.dto.js';
export * from './entities/ai-interaction.entity.js';
export * from './fallbacks.js';
