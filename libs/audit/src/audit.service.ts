import { PageCursors } from '@gad/database';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { MetricsService, storableText } from '@gad/observability';
import { AuditRepository } from './audit.repository.js';
import { AuditEntryDto, type AuditPageDto, type AuditQueryDto } from './dto/audit.dto.js';
import { type ClientContext } from '@gad/access';

export type AuditAction =
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.logout'
  | 'auth.refresh_reuse'
  | 'auth.password_changed'
  | 'auth.password_change_failed'
  | 'user.created'
  | 'user.updated'
  | 'user.deleted'
  | 'user.change_refused';

export interface AuditEvent {
  action: AuditAction;
  actorId?: string | null;
  targetId?: string | null;
  changes?: Record<string, unknown>;
}

const SECRET_FIELDS = /^(password|current_password|new_password|hashed_password|.*_hash|.*token|.*secret.*)$/i;

@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');
  private failures = 0;

  constructor(
    private readonly repository: AuditRepository,
    private readonly cursors: PageCursors,
    @Optional() metrics?: MetricsService,
  ) {
    const failures = (): number => this.failures;
    metrics?.counter(
      'audit_write_failures_total',
      'Audit rows that could not be written (the request still succeeded)',
      [],
      function () {
        this.reset();
        this.inc(failures());
      },
    );
  }

  /** Never fails the request it records: a failure is logged and counted. */
  async record(event: AuditEvent, client: ClientContext): Promise<void> {
    try {
      await this.repository.append({
        action: event.action,
        actorId: event.actorId ?? null,
        targetId: event.targetId ?? null,
        ip: client.ip.slice(0, 64) || null,
        userAgent: client.userAgent.slice(0, 512) || null,
        requestId: client.requestId.slice(0, 128) || null,
        changes: event.changes ? withoutSecrets(event.changes) : null,
      });
    } catch (error) {
      this.failures += 1;
      this.logger.error({ err: error, action: event.action, request_id: client.requestId }, 'audit write failed');
    }
  }

  get failureCount(): number {
    return this.failures;
  }

  async list(query: AuditQueryDto): Promise<AuditPageDto> {
    const filters = { actor: query.actor, action: query.action };
    const request = this.cursors.request('audit', filters, query);
    const rows = await this.repository.findPage({ actorId: query.actor, action: query.action }, request);
    return this.cursors.page('audit', filters, request, rows, (r) => AuditEntryDto.from(r));
  }
}

/** Password values never reach the trail: a changed secret is recorded as "[changed]". */
function withoutSecrets(changes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, SECRET_FIELDS.test(k) ? '[changed]' : storable(v)]));
}

/** Whatever a value holds, the audit row must be writable (jsonb refuses NUL and lone surrogates). */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  return value;
}
