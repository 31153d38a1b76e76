import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/errors/domain-error';
import { AccessChangesService } from './access-changes.service';
import { hashPassword, MIN_PASSWORD_LENGTH, normalizeEmail } from './password-hasher';
import { User, UserRole, UserView, toUserView } from './user.entity';
import { UserRepository } from './user.repository';

export interface UserChanges {
  email?: string;
  password?: string;
  role?: UserRole;
}

@Injectable()
export class UsersService {
  private usersExist = false;

  constructor(
    private readonly users: UserRepository,
    private readonly accessChanges: AccessChangesService,
  ) {}

  /** True until the first user exists; cached once false, since the last admin cannot be deleted. */
  async setupRequired(): Promise<boolean> {
    if (this.usersExist) return false;
    this.usersExist = await this.users.anyExists();
    return !this.usersExist;
  }

  /** Creates the first administrator, or returns null when some user already exists (race-safe). */
  async createFirstAdmin(email: string, password: string): Promise<User | null> {
    const created = await this.users.createFirstAdmin(email, await hashPassword(password));
    this.usersExist = true;
    return created;
  }

  async list(): Promise<UserView[]> {
    return (await this.users.list()).map(toUserView);
  }

  async create(email: string, password: string, role: UserRole): Promise<User> {
    const normalized = normalizeEmail(email);
    if (await this.findByEmail(normalized))
      throw new ConflictError(`A user with email ${normalized} already exists`, 'EMAIL_TAKEN');
    const user = await this.users.insert(normalized, await hashPassword(password), role);
    this.usersExist = true;
    return user;
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundError('User', id);
    return user;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(email);
  }

  /** With the password hash, for logins and password checks. */
  findWithPasswordHash(by: { id: string } | { email: string }): Promise<User | null> {
    return this.users.findWithPasswordHash(by);
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
    const roleChanged = changes.role !== undefined && changes.role !== user.role;
    if (roleChanged) {
      if (user.role === 'admin') await this.assertNotLastAdmin(user.id);
      if (user.id === actingUserId)
        throw new ConflictError('You cannot change your own role', 'CANNOT_CHANGE_OWN_ROLE');
      user.role = changes.role!;
      // Tokens carry no role (it is read per request), but a demoted admin should sign in again.
      user.tokenVersion += 1;
    }
    if (changes.password !== undefined) {
      await this.setPassword(user, changes.password);
    }
    const saved = await this.users.save(user);
    if (roleChanged) this.accessChanges.publish({ userId: user.id });
    return saved;
  }

  async remove(id: string, actingUserId: string): Promise<User> {
    const user = await this.get(id);
    if (user.id === actingUserId) throw new ConflictError('You cannot delete your own account', 'CANNOT_DELETE_SELF');
    if (user.role === 'admin') await this.assertNotLastAdmin(user.id);
    await this.users.delete(user.id);
    this.accessChanges.publish({ userId: user.id });
    return user;
  }

  /** Sets a new password and invalidates every access token issued before. */
  async setPassword(user: User, password: string): Promise<void> {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new ValidationFailedError(`The password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    user.tokenVersion = await this.users.setPasswordHash(user.id, await hashPassword(password));
    this.accessChanges.publish({ userId: user.id });
  }

  touchLastLogin(id: string): Promise<void> {
    return this.users.touchLastLogin(id);
  }

  private async assertNotLastAdmin(id: string): Promise<void> {
    if ((await this.users.countAdminsOtherThan(id)) === 0)
      throw new ConflictError('zhiku needs at least one administrator', 'LAST_ADMIN');
  }
}
