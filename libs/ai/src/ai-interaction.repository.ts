import { readPage, type PageRequest, type PageRows } from '@gad/database';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AiInteractionEntity, type AnswerSource } from './entities/ai-interaction.entity.js';

export type NewInteraction = Omit<AiInteractionEntity, 'id' | 'createdAt'>;

export interface InteractionFilter {
  source?: AnswerSource;
  userId?: string;
}

/** The only code that touches ai_interactions. */
@Injectable()
export class AiInteractionRepository {
  constructor(@InjectRepository(AiInteractionEntity) private readonly repo: Repository<AiInteractionEntity>) {}

  async insert(row: NewInteraction): Promise<void> {
    await this.repo.insert(row);
  }

  /** Newest first; each filter has its own (filter, created_at, id) index. */
  findPage(filter: InteractionFilter, request: PageRequest): Promise<PageRows<AiInteractionEntity>> {
    const query = this.repo.createQueryBuilder('i');
    if (filter.source) query.andWhere('i.source = :source', { source: filter.source });
    if (filter.userId) query.andWhere('i.userId = :userId', { userId: filter.userId });
    return readPage(query, 'DESC', request);
  }
}
