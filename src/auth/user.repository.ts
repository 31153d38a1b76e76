import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { isUuid } from '../common/validation/uuid';
import { normalizeEmail } from './password-hasher';
import { User, UserRole } from './user.entity';

// Serialises "create the first user" across API replicas.
const FIRST_USER_LOCK_KEY = 7_460_212;

/** The `users` table. Emails are compared lower-cased; the password hash is read only where asked for. */
@Injectable()
export class UserRepository {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async anyExists(): Promise<boolean> {
    const [{ exists }] = await this.db.query(`SELECT EXISTS (SELECT 1 FROM users) AS exists`);
    return exists;
  }

  /** Creates the first administrator, or returns null when some user already exists (race-safe). */
  createFirstAdmin(email: string, passwordHash: string): Promise<User | null> {
    return this.db.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [FIRST_USER_LOCK_KEY]);
      const [{ exists }] = await m.query(`SELECT EXISTS (SELECT 1 FROM users) AS exists`);
      if (exists) return null;
      return m.save(m.create(User, { email: normalizeEmail(email), passwordHash, role: 'admin' }));
    });
  }

  list(): Promise<User[]> {
    return this.users.find({ order: { createdAt: 'ASC' } });
  }

  insert(email: string, passwordHash: string, role: UserRole): Promise<User> {
    return this.users.save(this.users.create({ email: normalizeEmail(email), passwordHash, role }));
  }

  findById(id: string): Promise<User | null> {
    return isUuid(id) ? this.users.findOneBy({ id }) : Promise.resolve(null);
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

  save(user: User): Promise<User> {
    return this.users.save(user);
  }

  async delete(id: string): Promise<void> {
    await this.users.delete({ id });
  }

  /** Stores a new password hash and bumps the token version (ending earlier tokens); returns the new version. */
  async setPasswordHash(id: string, passwordHash: string): Promise<number> {
    // UPDATE answers [rows, affected count] through DataSource.query.
    const [rows]: [{ token_version: number }[], number] = await this.db.query(
      `UPDATE users SET password_hash = $2, token_version = token_version + 1, updated_at = now()
        WHERE id = $1 RETURNING token_version`,
      [id, passwordHash],
    );
    return rows[0]?.token_version ?? 0;
  }

  async touchLastLogin(id: string): Promise<void> {
    await this.users.update({ id }, { lastLoginAt: () => 'now()', updatedAt: () => 'updated_at' });
  }

  async countAdminsOtherThan(id: string): Promise<number> {
    const [{ others }] = await this.db.query(
      `SELECT count(*)::int AS others FROM users WHERE role = 'admin' AND id <> $1`,
      [id],
    );
    return others;
  }
}
