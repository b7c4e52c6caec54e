import { PageCursors, type PageQueryDto } from '@gad/database';
import { ConflictException, HttpStatus, Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { CacheService } from '@gad/cache';
import { AuditService } from '@gad/audit';
import { ProblemException } from '@gad/observability';
import { isAdmin, type AuthenticatedUser } from '@gad/access';
import { PasswordService } from './password.service.js';
import { UsersRepository, type UserChanges } from './users.repository.js';
import { UserEvents } from './user-events.js';
import { UserDto, type UserPageDto } from './dto/user.dto.js';
import type { CreateUserDto, UpdateUserDto } from './dto/user-input.dto.js';
import { roleNamesOf, type UserEntity } from './entities/user.entity.js';
import { type ClientContext } from '@gad/access';

/** Who asks: the service checks rights itself, not only the guards. */
export type Actor = Pick<AuthenticatedUser, 'id' | 'roles' | 'isSuperuser'>;

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
    this.passwords.assertAcceptable(input.password, input.email);
    if (await this.users.emailTaken(input.email)) throw this.emailTaken();
    const user = await this.insertOrConflict({
      email: input.email,
      fullName: input.full_name,
      hashedPassword: await this.passwords.hash(input.password),
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
    if (
      actor.id === id &&
      (input.is_active === false || (input.roles && !input.roles.includes('admin') && !current.isSuperuser))
    ) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, {
        detail: 'You cannot deactivate yourself or remove your own admin role; ask another admin.',
      });
    }
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
      const before = current.roles.map((r) => r.name).sort();
      const after = [...new Set(input.roles)].sort();
      if (before.join() !== after.join()) changes.roles = changed.roles = after;
    }
    if (input.password !== undefined) {
      this.passwords.assertAcceptable(input.password, email);
      changes.hashedPassword = await this.passwords.hash(input.password);
      changed.password = '[changed]';
      // a password someone else chose is temporary: its owner must pick their own at next sign-in
      if (actor.id !== id) changes.mustChangePassword = changed.must_change_password = true;
    }

    const updated = Object.keys(changes).length > 0 ? await this.updateOrConflict(id, changes) : current;
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
    if (actor.id === id) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, { detail: 'You cannot delete your own account; ask another admin.' });
    }
    if (!(await this.users.delete(id))) throw this.notFound();
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

  async changeOwnPassword(userId: string, newPassword: string, keepSessionId: string): Promise<void> {
    const hashedPassword = await this.passwords.hash(newPassword);
    await this.users.update(userId, { hashedPassword, mustChangePassword: false });
    await this.events.publish({ type: 'user.password_changed', userId, keepSessionId });
  }

  /** Creates the first admin unless that email exists. Never overwrites an account. */
  async ensureAdmin(email: string, password: string, fullName = 'Administrador Sistema'): Promise<boolean> {
    if (await this.users.emailTaken(email)) return false;
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
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false; // another replica seeded it first
      throw error;
    }
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

  private async updateOrConflict(id: string, changes: UserChanges): Promise<UserEntity | null> {
    try {
      return await this.users.update(id, changes);
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
