import { PageCursors, type PageQueryDto } from '@gad/database';
import { ConflictException, HttpStatus, Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { CacheService } from '@gad/cache';
import { AuditService } from '@gad/audit';
import { ProblemException } from '@gad/observability';
import { isAdmin, type AuthenticatedUser, type Role } from '@gad/access';
import { PasswordService } from './password.service.js';
import { normalizeEmail } from './email.js';
import { LastSuperuserError, UsersRepository, type UserChanges } from './users.repository.js';
import { UserEvents } from './user-events.js';
import { UserDto, type UserPageDto } from './dto/user.dto.js';
import type { CreateUserDto, UpdateUserDto } from './dto/user-input.dto.js';
import { roleNamesOf, type UserEntity } from './entities/user.entity.js';
import { type ClientContext } from '@gad/access';

/** Who asks: the service checks rights itself, not only the guards. */
export type Actor = Pick<AuthenticatedUser, 'id' | 'roles' | 'isSuperuser'>;

/** What privilege rules look at, before and after a change. */
export interface PrivilegeState {
  isSuperuser: boolean;
  isActive: boolean;
  roles: readonly Role[];
}

export type PrivilegeRefusal = 'superuser_only' | 'own_admin_rights' | 'last_superuser';

const REFUSALS: Record<PrivilegeRefusal, string> = {
  superuser_only: 'Only a superuser may grant or revoke is_superuser, create a superuser, or change a superuser account.',
  own_admin_rights: 'You cannot remove your own admin rights, deactivate or delete yourself; ask another admin.',
  last_superuser: 'The system must keep at least one active superuser.',
};

/**
 * The privilege rules, on the state after the change (`after` undefined: a deletion; `before` undefined: a
 * creation): only a superuser touches superusers or the flag; nobody removes their own last admin right.
 * The "at least one active superuser" rule needs the database and is enforced in the same write.
 */
function privilegeRefusal(
  actor: Actor,
  targetId: string | undefined,
  before: PrivilegeState | undefined,
  after: PrivilegeState | undefined,
): PrivilegeRefusal | undefined {
  if (!actor.isSuperuser && (before?.isSuperuser || after?.isSuperuser)) return 'superuser_only';
  const self = targetId !== undefined && actor.id === targetId;
  if (self && !(after && after.isActive && (after.isSuperuser || after.roles.includes('admin')))) return 'own_admin_rights';
  return undefined;
}

/** Whether a change may leave no active superuser (so it must run under the superuser lock). */
function losesActiveSuperuser(before: PrivilegeState, after: PrivilegeState | undefined): boolean {
  return before.isSuperuser && before.isActive && !(after?.isSuperuser && after.isActive);
}

/** The fields a body carried (a DTO instance also holds every field it declares, as undefined). */
function sentFields(input: object): string[] {
  return Object.entries(input)
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
}

function stateOf(user: UserEntity): PrivilegeState {
  return { isSuperuser: user.isSuperuser, isActive: user.isActive, roles: roleNamesOf(user) };
}

@Injectable()
export class UsersService implements OnModuleInit {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly events: UserEvents,
    private readonly audit: AuditService,
    private readonly cache: CacheService,
    private readonly cursors: PageCursors,
  ) {}

  onModuleInit(): void {
    // every write publishes an event: the cached copies (every process's and Redis's) go before the
    // writing request answers
    this.events.subscribe(async (event) => {
      if (event.type !== 'user.created') await this.cache.forget(userKey(event.userId));
    });
  }

  /** An admin reads anyone; anyone else only themselves. Others' ids answer exactly like missing ones. */
  async get(actor: Actor, id: string): Promise<UserDto> {
    if (!isAdmin(actor) && actor.id !== id) throw this.notFound();
    const user = await this.cache.remember(
      userKey(id),
      async () => {
        const found = await this.users.findById(id);
        return found ? UserDto.from(found) : null;
      },
      { memory: true },
    );
    if (!user) throw this.notFound();
    return user;
  }

  /** The caller's own record: the guard has just read it (through the cache), with the session. */
  me(caller: AuthenticatedUser): UserDto {
    return {
      id: caller.id,
      email: caller.email,
      full_name: caller.fullName,
      is_active: true, // the guard admits active users only
      is_superuser: caller.isSuperuser,
      roles: caller.roles,
      must_change_password: caller.mustChangePassword,
      created_at: caller.createdAt,
      updated_at: caller.updatedAt,
    };
  }

  async list(actor: Actor, query: PageQueryDto): Promise<UserPageDto> {
    this.assertAdmin(actor);
    const request = this.cursors.request('users', {}, query);
    return this.cursors.page('users', {}, request, await this.users.findPage(request), (u) => UserDto.from(u));
  }

  async create(actor: Actor, input: CreateUserDto, client: ClientContext): Promise<UserDto> {
    this.assertAdmin(actor);
    const after = { isSuperuser: input.is_superuser ?? false, isActive: input.is_active ?? true, roles: input.roles ?? [] };
    const refusal = privilegeRefusal(actor, undefined, undefined, after);
    if (refusal) throw await this.refuse(actor, null, refusal, sentFields(input), client);
    this.passwords.assertAcceptable(input.password, input.email);
    if (await this.users.emailTaken(input.email)) throw this.emailTaken();
    const user = await this.insertOrConflict({
      email: input.email,
      fullName: input.full_name,
      hashedPassword: await this.passwords.hash(input.password, client.signal),
      isActive: input.is_active ?? true,
      isSuperuser: input.is_superuser ?? false,
      mustChangePassword: false,
      roles: input.roles ?? ['operator'],
    });
    await this.events.publish({ type: 'user.created', userId: user.id, email: user.email, fullName: user.fullName });
    const dto = UserDto.from(user);
    const { is_active, is_superuser, roles, email, full_name } = dto;
    await this.audit.record(
      {
        action: 'user.created',
        actorId: actor.id,
        targetId: user.id,
        changes: { email, full_name, is_active, is_superuser, roles },
      },
      client,
    );
    return dto;
  }

  async update(actor: Actor, id: string, input: UpdateUserDto, client: ClientContext): Promise<UserDto> {
    this.assertAdmin(actor);
    const current = await this.users.findById(id);
    if (!current) throw this.notFound();
    const before = stateOf(current);
    const after: PrivilegeState = {
      isSuperuser: input.is_superuser ?? before.isSuperuser,
      isActive: input.is_active ?? before.isActive,
      roles: input.roles ?? before.roles,
    };
    const refusal = privilegeRefusal(actor, id, before, after);
    if (refusal) throw await this.refuse(actor, id, refusal, sentFields(input), client);
    const email = input.email ?? current.email;
    if (input.email !== undefined && (await this.users.emailTaken(input.email, id))) throw this.emailTaken();

    const changes: UserChanges = {};
    const changed: Record<string, unknown> = {};
    if (input.email !== undefined && input.email !== current.email) changes.email = changed.email = input.email;
    if (input.full_name !== undefined && input.full_name !== current.fullName)
      changes.fullName = changed.full_name = input.full_name;
    if (input.is_active !== undefined && input.is_active !== current.isActive)
      changes.isActive = changed.is_active = input.is_active;
    if (input.is_superuser !== undefined && input.is_superuser !== current.isSuperuser) {
      changes.isSuperuser = changed.is_superuser = input.is_superuser;
    }
    if (input.roles !== undefined) {
      const before = roleNamesOf(current);
      const after = [...new Set(input.roles)].sort();
      if (before.join() !== after.join()) changes.roles = changed.roles = after;
    }
    if (input.password !== undefined) {
      this.passwords.assertAcceptable(input.password, email);
      changes.hashedPassword = await this.passwords.hash(input.password, client.signal);
      changed.password = '[changed]';
      // a password someone else chose is temporary: its owner must pick their own at next sign-in
      if (actor.id !== id) changes.mustChangePassword = changed.must_change_password = true;
    }

    let updated: UserEntity | null = current;
    if (Object.keys(changes).length > 0) {
      try {
        updated = await this.updateOrConflict(id, changes, losesActiveSuperuser(before, after));
      } catch (error) {
        if (error instanceof LastSuperuserError) throw await this.refuse(actor, id, 'last_superuser', sentFields(input), client);
        throw error;
      }
    }
    if (!updated) throw this.notFound();
    if (Object.keys(changed).length > 0) {
      await this.events.publish({
        type: 'user.updated',
        userId: id,
        changed: Object.keys(changed),
        roles: roleNamesOf(updated),
        isActive: updated.isActive,
      });
    }
    if (changed.is_active === false) await this.events.publish({ type: 'user.deactivated', userId: id });
    if (changed.password) await this.events.publish({ type: 'user.password_changed', userId: id });
    if (Object.keys(changed).length > 0) {
      await this.audit.record({ action: 'user.updated', actorId: actor.id, targetId: id, changes: changed }, client);
    }
    return UserDto.from(updated);
  }

  /** A user may change only their own display name. */
  async updateMe(actor: Actor, fullName: string, client: ClientContext): Promise<UserDto> {
    const updated = await this.users.update(actor.id, { fullName });
    if (!updated) throw this.notFound();
    await this.events.publish({
      type: 'user.updated',
      userId: actor.id,
      changed: ['full_name'],
      roles: roleNamesOf(updated),
      isActive: updated.isActive,
    });
    await this.audit.record(
      { action: 'user.updated', actorId: actor.id, targetId: actor.id, changes: { full_name: fullName } },
      client,
    );
    return UserDto.from(updated);
  }

  async delete(actor: Actor, id: string, client: ClientContext): Promise<void> {
    this.assertAdmin(actor);
    const current = await this.users.findById(id);
    if (!current) throw this.notFound();
    const before = stateOf(current);
    const refusal = privilegeRefusal(actor, id, before, undefined);
    if (refusal) throw await this.refuse(actor, id, refusal, ['delete'], client);
    let deleted: boolean;
    try {
      deleted = await this.users.delete(id, { keepActiveSuperuser: losesActiveSuperuser(before, undefined) });
    } catch (error) {
      if (error instanceof LastSuperuserError) throw await this.refuse(actor, id, 'last_superuser', ['delete'], client);
      throw error;
    }
    if (!deleted) throw this.notFound();
    await this.events.publish({ type: 'user.deleted', userId: id });
    await this.audit.record({ action: 'user.deleted', actorId: actor.id, targetId: id }, client);
  }

  // --- for the auth module: entities stay inside the service layer ---

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findByEmail(email);
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findById(id);
  }

  /**
   * The user's own change, after their current password was checked against `checkedHash`. False when the password
   * changed in between (another session's change won): nothing is written.
   */
  async changeOwnPassword(
    userId: string,
    checkedHash: string,
    newPassword: string,
    keepSessionId: string,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const hashedPassword = await this.passwords.hash(newPassword, signal);
    if (!(await this.users.replacePassword(userId, checkedHash, hashedPassword))) return false;
    await this.events.publish({ type: 'user.password_changed', userId, keepSessionId });
    return true;
  }

  /**
   * Creates the first admin only while the system has no active superuser: renaming or deleting the
   * seeded account never brings it back. 'created', 'exists' (an active superuser is there), or
   * 'email_taken' (none is, but the email belongs to another account, which is never overwritten).
   */
  async ensureAdmin(
    rawEmail: string,
    password: string,
    fullName = 'Administrador Sistema',
  ): Promise<'created' | 'exists' | 'email_taken'> {
    const email = normalizeEmail(rawEmail);
    if (await this.users.hasActiveSuperuser()) return 'exists';
    if (await this.users.emailTaken(email)) return 'email_taken';
    try {
      await this.users.create({
        email,
        fullName,
        hashedPassword: await this.passwords.hash(password),
        isActive: true,
        isSuperuser: true,
        mustChangePassword: true,
        roles: ['admin'],
      });
      return 'created';
    } catch (error) {
      if (isUniqueViolation(error)) return 'exists'; // another replica seeded it first
      throw error;
    }
  }

  /** A refused privilege change: audited (who, whom, why, which fields; never values), then 403. */
  private async refuse(
    actor: Actor,
    targetId: string | null,
    reason: PrivilegeRefusal,
    fields: string[],
    client: ClientContext,
  ): Promise<ProblemException> {
    await this.audit.record(
      { action: 'user.change_refused', actorId: actor.id, targetId, changes: { reason, fields: fields.sort() } },
      client,
    );
    return new ProblemException(HttpStatus.FORBIDDEN, { detail: REFUSALS[reason] });
  }

  private assertAdmin(actor: Actor): void {
    if (!isAdmin(actor)) throw new ProblemException(HttpStatus.FORBIDDEN, { detail: 'This action requires the admin role.' });
  }

  private notFound(): NotFoundException {
    return new NotFoundException('User not found.');
  }

  private emailTaken(): ConflictException {
    return new ConflictException('A user with this email already exists.');
  }

  private async insertOrConflict(user: Parameters<UsersRepository['create']>[0]): Promise<UserEntity> {
    try {
      return await this.users.create(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw this.emailTaken();
      throw error;
    }
  }

  private async updateOrConflict(id: string, changes: UserChanges, keepActiveSuperuser: boolean): Promise<UserEntity | null> {
    try {
      return await this.users.update(id, changes, { keepActiveSuperuser });
    } catch (error) {
      if (isUniqueViolation(error)) throw this.emailTaken();
      throw error;
    }
  }
}

const userKey = (id: string): string => `user:${id}`;

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}
