import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Raw, type FindOperator, type Repository } from 'typeorm';
import { pageIds, type PageRequest, type PageRows } from '@gad/database';
import type { Role } from '@gad/access';
import { RoleEntity } from './entities/role.entity.js';
import { UserEntity, roleNamesOf } from './entities/user.entity.js';
import { normalizeEmail } from './email.js';

export interface NewUser {
  email: string;
  fullName: string;
  hashedPassword: string;
  isActive: boolean;
  isSuperuser: boolean;
  mustChangePassword: boolean;
  roles: Role[];
}

export type UserChanges = Partial<Omit<NewUser, 'roles'>> & { roles?: Role[] };

/** Thrown (and the transaction rolled back) when a write would leave no active superuser. */
export class LastSuperuserError extends Error {
  constructor() {
    super('the system would be left without an active superuser');
  }
}

const LOCK_ACTIVE_SUPERUSERS = 'SELECT id FROM users WHERE is_superuser AND is_active ORDER BY id FOR UPDATE';
const LOCK_USER = 'SELECT id FROM users WHERE id = $1 FOR UPDATE';

/** The only code that queries users and their roles. */
@Injectable()
export class UsersRepository {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
  ) {}

  // find() rather than findOne(): with a relation, findOne's LIMIT makes TypeORM send two statements
  findById(id: string): Promise<UserEntity | null> {
    return userWithRoles(this.users, id);
  }

  async findByEmail(email: string): Promise<UserEntity | null> {
    return (await this.users.find({ where: { email: byEmail(email) }, relations: { roles: true } }))[0] ?? null;
  }

  async emailTaken(email: string, exceptId?: string): Promise<boolean> {
    const found = await this.users.findOne({ where: { email: byEmail(email) }, select: { id: true } });
    return found !== null && found.id !== exceptId;
  }

  /** One page ordered by created_at then id, with its roles: one statement, the page's ids in a subquery (no DISTINCT). */
  async findPage(request: PageRequest): Promise<PageRows<UserEntity>> {
    const page = pageIds(this.users.createQueryBuilder('p').select('p.id'), 'ASC', request);
    const rows = await this.users
      .createQueryBuilder('u')
      .leftJoinAndSelect('u.roles', 'r')
      .where(`u.id IN (${page.getQuery()})`)
      .setParameters(page.getParameters())
      .orderBy('u.createdAt', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .getMany();
    const total = request.count ? await this.users.count() : undefined;
    return { rows: rows.slice(0, request.limit), more: rows.length > request.limit, total };
  }

  async create(user: NewUser): Promise<UserEntity> {
    const entity = this.users.create({ ...user, roles: await this.roleEntities(user.roles) });
    const saved = await this.users.save(entity);
    return (await this.findById(saved.id))!;
  }

  /**
   * With `keepActiveSuperuser`, in one transaction that first locks the active superusers' rows (so two
   * concurrent demotions queue), and rolled back with LastSuperuserError if none remains afterwards.
   */
  async update(id: string, changes: UserChanges, options: { keepActiveSuperuser?: boolean } = {}): Promise<UserEntity | null> {
    const { roles, ...columns } = changes;
    const roleEntities = roles && (await this.roleEntities(roles));
    // Read, change, save and read back under the row's lock: two concurrent role changes each diffed the roles they
    // read, so both were applied (an unasked union), the second insert's duplicate key looked like "email taken",
    // and a read after the commit could show the other change.
    const write = async (users: Repository<UserEntity>): Promise<UserEntity | null> => {
      await users.query(LOCK_USER, [id]);
      const user = await userWithRoles(users, id);
      if (!user) return null;
      const rolesChange = roleEntities !== undefined && roleNamesOf({ roles: roleEntities }).join() !== roleNamesOf(user).join();
      Object.assign(user, columns);
      if (roleEntities) user.roles = roleEntities;
      await users.save(user);
      // the roles live in their own table, so a change to them alone would leave updated_at behind
      if (rolesChange) await users.update(id, { updatedAt: () => 'CURRENT_TIMESTAMP' });
      return userWithRoles(users, id);
    };
    return options.keepActiveSuperuser
      ? this.keepingActiveSuperuser(write)
      : this.users.manager.transaction((manager) => write(manager.getRepository(UserEntity)));
  }

  /** Sets a new password hash only if the stored one is still `checkedHash` (the one the current password was checked against). */
  async replacePassword(id: string, checkedHash: string, hashedPassword: string): Promise<boolean> {
    const result = await this.users.update({ id, hashedPassword: checkedHash }, { hashedPassword, mustChangePassword: false });
    return (result.affected ?? 0) > 0;
  }

  async delete(id: string, options: { keepActiveSuperuser?: boolean } = {}): Promise<boolean> {
    const remove = async (users: Repository<UserEntity>): Promise<boolean> => ((await users.delete({ id })).affected ?? 0) > 0;
    return options.keepActiveSuperuser ? this.keepingActiveSuperuser(remove) : remove(this.users);
  }

  async hasActiveSuperuser(): Promise<boolean> {
    return this.users.exists({ where: { isSuperuser: true, isActive: true } });
  }

  private keepingActiveSuperuser<T>(write: (users: Repository<UserEntity>) => Promise<T>): Promise<T> {
    return this.users.manager.transaction(async (manager) => {
      await manager.query(LOCK_ACTIVE_SUPERUSERS);
      const users = manager.getRepository(UserEntity);
      const result = await write(users);
      if (!(await users.exists({ where: { isSuperuser: true, isActive: true } }))) throw new LastSuperuserError();
      return result;
    });
  }

  private async roleEntities(names: Role[]): Promise<RoleEntity[]> {
    if (names.length === 0) return [];
    return this.roles.findBy({ name: In([...new Set(names)]) });
  }
}

/** One user with its roles (find, not findOne: findOne with a relation sends two statements). */
async function userWithRoles(users: Repository<UserEntity>, id: string): Promise<UserEntity | null> {
  return (await users.find({ where: { id }, relations: { roles: true } }))[0] ?? null;
}

/** An email lookup the unique index on lower(email) serves (a plain `email =` was a sequential scan). */
function byEmail(email: string): FindOperator<string> {
  return Raw((column) => `lower(${column}) = :email`, { email: normalizeEmail(email) });
}
