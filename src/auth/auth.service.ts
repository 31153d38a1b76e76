import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ConflictError, DomainError } from '../common/errors/domain-error';
import { AuditService } from './audit.service';
import { TooManyRequestsError, UnauthenticatedError } from './auth-errors';
import { normalizeEmail, verifyPassword } from './password-hasher';
import { Principal } from './principal';
import { BlockPolicy, RateLimiterService } from './rate-limiter.service';
import { Session, TokenService } from './token.service';
import { toUserView, UserView } from './user.entity';
import { UsersService } from './users.service';

/**
 * Sign-in attempts are limited per email and address (so guessing from one machine never locks the
 * owner out of theirs) and per address (so one machine cannot try many accounts). Each attempt is counted
 * before the password is checked; a successful one is given back.
 */
export const LOGIN_ATTEMPTS_PER_EMAIL_AND_ADDRESS = 5;
export const LOGIN_ATTEMPTS_PER_ADDRESS = 20;
const LOGIN_WINDOW_SEC = 15 * 60;
/** An address that used up its attempts waits 1 minute, then 2, 4, … at most an hour; forgotten after a day. */
const LOGIN_BLOCKS: BlockPolicy = { firstBlockSec: 60, maxBlockSec: 60 * 60, rememberSec: 24 * 60 * 60 };

/** Sign-in, first-run setup and the signed-in user's own account. */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly limiter: RateLimiterService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** ADMIN_EMAIL / ADMIN_PASSWORD create the first administrator when there are no users yet. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.adminEmail || !this.config.adminPassword) {
      if (await this.users.setupRequired())
        this.logger.warn('no accounts yet: open the web UI to create the first administrator');
      return;
    }
    const created = await this.users.createFirstAdmin(this.config.adminEmail, this.config.adminPassword);
    if (created) {
      this.logger.log(`created the first administrator ${created.email} from ADMIN_EMAIL`);
      await this.audit.record(null, 'user.bootstrap', { type: 'user', id: created.id }, { email: created.email });
    }
  }

  /**
   * Checks email and password, within the limits above: over them, 429 with the seconds to wait. The
   * attempt is counted first, so concurrent attempts cannot all be evaluated.
   */
  async login(email: string, password: string, ip: string | undefined): Promise<Session> {
    const normalized = normalizeEmail(email);
    const address = ip ?? 'unknown';
    const emailHash = createHash('sha256').update(normalized).digest('hex');
    const emailAndAddressKey = `login:email-address:${emailHash}:${address}`;
    const addressKey = `login:address:${address}`;
    const decision = await this.limiter.consume(
      [
        { key: emailAndAddressKey, attempts: LOGIN_ATTEMPTS_PER_EMAIL_AND_ADDRESS, windowSec: LOGIN_WINDOW_SEC },
        { key: addressKey, attempts: LOGIN_ATTEMPTS_PER_ADDRESS, windowSec: LOGIN_WINDOW_SEC },
      ],
      LOGIN_BLOCKS,
    );
    if (!decision.allowed) {
      await this.audit.record(
        null,
        'auth.login',
        null,
        { reason: 'throttled' },
        { outcome: 'failure', ip, actorEmail: normalized },
      );
      throw new TooManyRequestsError(
        'TOO_MANY_LOGIN_ATTEMPTS',
        `Too many failed sign-in attempts from this address; try again in ${decision.retryAfterSec} seconds`,
        decision.retryAfterSec,
      );
    }

    const user = await this.users.findWithPasswordHash({ email: normalized });
    const ok = await verifyPassword(user?.passwordHash, password);
    if (!user || !ok) {
      await this.audit.record(
        null,
        'auth.login',
        user ? { type: 'user', id: user.id } : null,
        { reason: user ? 'wrong password' : 'unknown email' },
        { outcome: 'failure', ip, actorEmail: normalized },
      );
      throw new UnauthenticatedError('Wrong email or password', 'INVALID_CREDENTIALS');
    }
    await Promise.all([
      this.limiter.forget(emailAndAddressKey),
      this.limiter.refund(addressKey),
      this.users.touchLastLogin(user.id),
    ]);
    await this.audit.record(
      { kind: 'user', userId: user.id, email: user.email, role: user.role },
      'auth.login',
      { type: 'user', id: user.id },
      {},
      { ip },
    );
    return this.tokens.issue(user);
  }

  /** One-time first-run setup: creates the first administrator and signs them in. */
  async setup(email: string, password: string, ip: string | undefined): Promise<Session> {
    const user = await this.users.createFirstAdmin(email, password);
    if (!user) throw new ConflictError('Setup is already done: sign in instead', 'SETUP_ALREADY_DONE');
    await this.audit.record(
      { kind: 'user', userId: user.id, email: user.email, role: user.role },
      'user.setup',
      { type: 'user', id: user.id },
      {},
      { ip },
    );
    return this.tokens.issue(user);
  }

  async me(principal: Principal): Promise<UserView & { kind: Principal['kind'] }> {
    return { ...toUserView(await this.users.get(principal.userId)), kind: principal.kind };
  }

  /** Changes the caller's password; every earlier token stops working, and a fresh session is returned. */
  async changePassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
    ip?: string,
  ): Promise<Session> {
    const user = await this.users.findWithPasswordHash({ id: principal.userId });
    if (!user || !(await verifyPassword(user.passwordHash, currentPassword))) {
      // 400, not 401: the session is fine, the form is wrong.
      throw new DomainError('WRONG_CURRENT_PASSWORD', 'The current password is wrong', 400);
    }
    await this.users.setPassword(user, newPassword);
    await this.audit.record(principal, 'user.password_change', { type: 'user', id: user.id }, {}, { ip });
    return this.tokens.issue(user);
  }
}
