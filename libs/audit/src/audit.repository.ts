import { readPage, type PageRequest, type PageRows } from '@gad/database';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditLogEntity } from './entities/audit-log.entity.js';

export type NewAuditLog = Omit<AuditLogEntity, 'id' | 'createdAt'>;

/** Append-only: rows are inserted and read, never updated or deleted here. */
@Injectable()
export class AuditRepository {
  constructor(@InjectRepository(AuditLogEntity) private readonly logs: Repository<AuditLogEntity>) {}

  async append(entry: NewAuditLog): Promise<void> {
    await this.logs.save(this.logs.create(entry), { reload: false, transaction: false }); // one row, one statement
  }

  /** Newest first; each filter has its own (filter, created_at, id) index. */
  findPage(filter: { actorId?: string; action?: string }, request: PageRequest): Promise<PageRows<AuditLogEntity>> {
    const query = this.logs.createQueryBuilder('a');
    if (filter.actorId) query.andWhere('a.actorId = :actorId', { actorId: filter.actorId });
    if (filter.action) query.andWhere('a.action = :action', { action: filter.action });
    return readPage(query, 'DESC', request);
  }
}
