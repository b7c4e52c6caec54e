import { AiInteractionEntity } from '@gad/ai';
import { AuditLogEntity } from '@gad/audit';
import { RefreshTokenEntity, SessionEntity } from '@gad/auth';
import type { SchemaParts } from '@gad/database';
import { RoleEntity, UserEntity } from '@gad/users';
import { MIGRATIONS } from '../../../migrations/index.js';

/** Every entity and migration the app knows; shared by the app, the tests and the CLI. */
export const SCHEMA: SchemaParts = {
  entities: [UserEntity, RoleEntity, SessionEntity, RefreshTokenEntity, AuditLogEntity, AiInteractionEntity],
  migrations: MIGRATIONS,
};
