import { deleteInBatches } from '@gad/database';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { RefreshTokenEntity } from './entities/refresh-token.entity.js';
import { SessionEntity } from './entities/session.entity.js';

/** The only code that touches sessions and refresh tokens. */
@Injectable()
export class SessionsRepository {
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @InjectRepository(RefreshTokenEntity) private readonly tokens: Repository<RefreshTokenEntity>,
  ) {}

  async createSession(userId: string, expiresAt: Date, ip: string, userAgent: string): Promise<SessionEntity> {
    const session = this.sessions.create({ userId, expiresAt, ip: ip || null, userAgent: userAgent || null });
    return this.sessions.save(session, { transaction: false }); // one row: no START TRANSACTION/COMMIT round trips
  }

  findSession(id: string): Promise<SessionEntity | null> {
    return this.sessions.findOne({ where: { id } });
  }

  /** A user's session with the user and their roles, in one statement (find() without a limit joins them). */
  async findWithUser(sessionId: string, userId: string): Promise<SessionEntity | null> {
    const [session] = await this.sessions.find({ where: { id: sessionId, userId }, relations: { user: { roles: true } } });
    return session ?? null;
  }

  async addRefreshToken(sessionId: string, tokenHash: string, expiresAt: Date): Promise<void> {
    await this.tokens.save(this.tokens.create({ sessionId, tokenHash, expiresAt }), { reload: false, transaction: false });
  }

  findRefreshToken(tokenHash: string): Promise<RefreshTokenEntity | null> {
    return this.tokens.findOne({ where: { tokenHash } });
  }

  /** Marks a token rotated; false when another request rotated it first (a race counts as reuse). */
  async markUsed(tokenId: string): Promise<boolean> {
    const result = await this.tokens.update({ id: tokenId, usedAt: IsNull() }, { usedAt: new Date() });
    return (result.affected ?? 0) === 1;
  }

  async revokeSession(id: string, reason: string): Promise<boolean> {
    const result = await this.sessions.update({ id, revokedAt: IsNull() }, { revokedAt: new Date(), revokedReason: reason });
    return (result.affected ?? 0) > 0;
  }

  /** Deletes sessions that expired or were revoked before `before`, with their refresh tokens (ON DELETE CASCADE), in batches. */
  purgeEnded(before: Date): Promise<number> {
    return deleteInBatches(this.sessions, 'expires_at < :before OR revoked_at < :before', { before });
  }

  /**
   * Revokes every live session of a user except `keep`, in one statement whatever their number (listing the ids
   * first put one bind parameter per session in the UPDATE, past PostgreSQL's 65,535 at that many sessions);
   * returns how many.
   */
  async revokeUserSessions(userId: string, reason: string, keep?: string): Promise<number> {
    const revoke = this.sessions
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId });
    if (keep) revoke.andWhere('id <> :keep', { keep });
    return (await revoke.execute()).affected ?? 0;
  }
}
