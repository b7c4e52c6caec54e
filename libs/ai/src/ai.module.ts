import { PageCursors, PartitionsModule } from '@gad/database';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AiController } from './ai.controller.js';
import { AiInteractionRepository } from './ai-interaction.repository.js';
import { AiProviderClient } from './ai-provider.client.js';
import { AiRetentionService } from './ai-retention.service.js';
import { AiService } from './ai.service.js';
import { ChatLimitsPipe } from './chat-limits.pipe.js';
import { AiInteractionEntity } from './entities/ai-interaction.entity.js';
import { RateWindowRepository } from './rate-window.repository.js';

/** Chat with an OpenAI-compatible provider (REST and SSE here; the realtime gateway uses AiService). */
@Module({
  imports: [TypeOrmModule.forFeature([AiInteractionEntity]), PartitionsModule],
  controllers: [AiController],
  providers: [
    AiService,
    AiProviderClient,
    RateWindowRepository,
    AiInteractionRepository,
    AiRetentionService,
    ChatLimitsPipe,
    PageCursors,
  ],
  exports: [AiService, ChatLimitsPipe, PageCursors],
})
export class AiModule {}
