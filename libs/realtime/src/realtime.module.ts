import { Module } from '@nestjs/common';
import { AiModule } from '@gad/ai';
import { AuthModule } from '@gad/auth';
import { UsersModule } from '@gad/users';
import { ConnectionSlotsRepository } from './connection-slots.repository.js';
import { HandshakeService } from './handshake.service.js';
import { PresenceService } from './presence.service.js';
import { RealtimeChatService } from './realtime-chat.service.js';
import { RealtimeGateway } from './realtime.gateway.js';
import { RealtimeService } from './realtime.service.js';
import { SystemStatusService } from './system-status.service.js';
import { TrafficHistoryService } from './traffic-history.service.js';

/** The /dashboard Socket.IO namespace; other modules use the exported RealtimeService. */
@Module({
  imports: [AuthModule, UsersModule, AiModule],
  providers: [
    RealtimeGateway,
    RealtimeService,
    HandshakeService,
    ConnectionSlotsRepository,
    PresenceService,
    SystemStatusService,
    TrafficHistoryService,
    RealtimeChatService,
  ],
  exports: [RealtimeService],
})
export class RealtimeModule {}
