import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/errors/domain-error';
import { AccessChangesService } from './access-changes.service';
import { hashPassword, MIN_PASSWORD_LENGTH, normalizeEmail } from './password-hasher';
import { User, UserRole, UserView, toUserView } from './user.entity';
import { isUuid } from '../common/validation/uuid';

// Serialises "create the first user" across API replicas.
const FIRST_USER_LOCK_KEY = 7_460_212;

export interface UserChanges {
  email?: string;
  password?: string;
  role?: UserRole;
}

@Injectable()
export class UsersService {
  private usersExist = false;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly accessChanges: AccessChangesService,
  ) {}

  /** True until the first user exists; cached once false, since the last admin cannot be deleted. */
  async setupRequired(): Promise<boolean> {
    if (this.usersExist) return false;
    const [{ exists }] = await this.db.query(`SELECT EXISTS (SELECT 1 FROM users) AS exists`);
    this.usersExist = exists;
    return !exists;
  }

  /** Creates the first administrator, or returns null when some user already exists (race-safe). */
  async createFirstAdmin(email: string, password: string): Promise<User | null> {
    const passwordHash = await hashPassword(password);
    const created = await this.db.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [FIRST_USER_LOCK_KEY]);
      const [{ exists }] = await m.query(`SELECT EXISTS (SELECT 1 FROM users) AS exists`);
      if (exists) return null;
      return m.save(m.create(User, { email: normalizeEmail(email), passwordHash, role: 'admin' }));
    });
    this.usersExist = true;
    return created;
  }

  async list(): Promise<UserView[]> {
    const users = await this.users.find({ order: { createdAt: 'ASC' } });
    return users.map(toUserView);
  }

  async create(email: string, password: string, role: UserRole): Promise<User> {
    const normalized = normalizeEmail(email);
    if (await this.findByEmail(normalized))
      throw new ConflictError(`A user with email ${normalized} already exists`, 'EMAIL_TAKEN');
    const user = await this.users.save(
      this.users.create({ email: normalized, passwordHash: await hashPassword(password), role }),
    );
    this.usersExist = true;
    return user;
  }

  async get(id: string): Promise<User> {
    const user = isUuid(id) ? await this.users.findOneBy({ id }) : null;
    if (!user) throw new NotFoundError('User', id);
    return user;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.email) = :email', { email: normalizeEmail(email) })
      .getOne();
  }

  /** With the password hash, for logins and password checks. */
  findWithPasswordHash(by: { id: string } | { email: string }): Promise<User | null> {
    const qb = this.users.createQueryBuilder('u').addSelect('u.passwordHash');
    if ('id' in by) return isUuid(by.id) ? qb.where('u.id = :id', { id: by.id }).getOne() : Promise.resolve(null);
    return qb.where('lower(u.email) = :email', { email: normalizeEmail(by.email) }).getOne();
  }

  async update(id: string, changes: UserChanges, actingUserId: string): Promise<User> {
    const user = await this.get(id);
    if (changes.email !== undefined) {
      const email = normalizeEmail(changes.email);
      const other = await this.findByEmail(email);
      if (other && other.id !== user.id)
        throw new ConflictError(`A user with email ${email} already exists`, 'EMAIL_TAKEN');
      user.email = email;
    }
    if (changes.role !== undefined && changes.role !== user.role) {
      if (user.role === 'admin') await this.assertNotLastAdmin(user.id);
      if (user.id === actingUserId)
        throw new ConflictError('You cannot change your own role', 'CANNOT_CHANGE_OWN_ROLE');
      user.role = changes.role;
      // Tokens carry no role (it is read per request), but a demoted admin should sign in again.
      user.tokenVersion += 1;
    }
    if (changes.password !== undefined) {
      await this.setPassword(user, changes.password);
    }
    const saved = await this.users.save(user);
    if (changes.role !== undefined) this.accessChanges.publish({ userId: user.id });
    return saved;
  }

  async remove(id: string, actingUserId: string): Promise<User> {
    const user = await this.get(id);
    if (user.id === actingUserId) throw new ConflictError('You cannot delete your own account', 'CANNOT_DELETE_SELF');
    if (user.role === 'admin') await this.assertNotLastAdmin(user.id);
    await this.users.delete({ id: user.id });
    this.accessChanges.publish({ userId: user.id });
    return user;
  }

  /** Sets a new password and invalidates every access token issued before. */
  async setPassword(user: User, password: string): Promise<void> {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new ValidationFailedError(`The password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    await this.users.update(
      { id: user.id },
      { passwordHash: await hashPassword(password), tokenVersion: () => 'token_version + 1' },
    );
    const fresh = await this.get(user.id);
    user.tokenVersion = fresh.tokenVersion;
    this.accessChanges.publish({ userId: user.id });
  }

  async touchLastLogin(id: string): Promise<void> {
    await this.users.update({ id }, { lastLoginAt: () => 'now()', updatedAt: () => 'updated_at' });
  }

  private async assertNotLastAdmin(id: string): Promise<void> {
    const [{ others }] = await this.db.query(
      `SELECT count(*)::int AS others FROM users WHERE role = 'admin' AND id <> $1`,
      [id],
    );
    if (others === 0) throw new ConflictError('zhiku needs at least one administrator', 'LAST_ADMIN');
  }
}
