import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { pageIds, type PageRequest, type PageRows } from '@gad/database';
import type { Role } from '@gad/access';
import { RoleEntity } from './entities/role.entity.js';
import { UserEntity } from './entities/user.entity.js';

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

/** The only code that queries users and their roles. */
@Injectable()
export class UsersRepository {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
  ) {}

  // find() rather than findOne(): with a relation, findOne's LIMIT makes TypeORM send two statements
  async findById(id: string): Promise<UserEntity | null> {
    return (await this.users.find({ where: { id }, relations: { roles: true } }))[0] ?? null;
  }

  async findByEmail(email: string): Promise<UserEntity | null> {
    return (await this.users.find({ where: { email: email.toLowerCase() }, relations: { roles: true } }))[0] ?? null;
  }

  async emailTaken(email: string, exceptId?: string): Promise<boolean> {
    const found = await this.users.findOne({ where: { email: email.toLowerCase() }, select: { id: true } });
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

  async update(id: string, changes: UserChanges): Promise<UserEntity | null> {
    const user = await this.findById(id);
    if (!user) return null;
    const { roles, ...columns } = changes;
    Object.assign(user, columns);
    if (roles) user.roles = await this.roleEntities(roles);
    await this.users.save(user);
    return this.findById(id);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.users.delete({ id });
    return (result.affected ?? 0) > 0;
  }

  private async roleEntities(names: Role[]): Promise<RoleEntity[]> {
    if (names.length === 0) return [];
    return this.roles.findBy({ name: In([...new Set(names)]) });
  }
}
