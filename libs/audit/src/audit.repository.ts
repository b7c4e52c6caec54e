import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FindOptionsWhere, Repository } from 'typeorm';
import { AuditLogEntity } from './entities/audit-log.entity.js';

export type NewAuditLog = Omit<AuditLogEntity, 'id' | 'createdAt'>;

/** Append-only: rows are inserted and read, never updated or deleted here. */
@Injectable()
export class AuditRepository {
  constructor(@InjectRepository(AuditLogEntity) private readonly logs: Repository<AuditLogEntity>) {}

  async append(entry: NewAuditLog): Promise<void> {
    await this.logs.save(this.logs.create(entry), { reload: false });
  }

  findPage(filter: { actorId?: string; action?: string }, skip: number, limit: number): Promise<[AuditLogEntity[], number]> {
    const where: FindOptionsWhere<AuditLogEntity> = {};
    if (filter.actorId) where.actorId = filter.actorId;
    if (filter.action) where.action = filter.action;
    return this.logs.findAndCount({ where, order: { createdAt: 'DESC', id: 'DESC' }, skip, take: limit });
  }
}
