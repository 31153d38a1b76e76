import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { UnauthenticatedError } from './auth-errors';
import { Principal } from './principal';
import { User } from './user.entity';
import { UsersService } from './users.service';

interface AccessTokenClaims {
  sub: string;
  /** The user's token version when issued; a password change bumps it and so ends older tokens. */
  ver: number;
  /** Seconds since the epoch, set by jsonwebtoken from expiresIn. */
  exp?: number;
}

export interface Session {
  accessToken: string;
  /** Seconds until the token expires. */
  expiresIn: number;
  user: { id: string; email: string; role: User['role'] };
}

/** Signs and checks access tokens (HS256 JWT). Role and email are read per request, not trusted from the token. */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  issue(user: User): Session {
    const claims: AccessTokenClaims = { sub: user.id, ver: user.tokenVersion };
    const accessToken = this.jwt.sign(claims, { expiresIn: this.config.jwtExpiresInSec, algorithm: 'HS256' });
    return {
      accessToken,
      expiresIn: this.config.jwtExpiresInSec,
      user: { id: user.id, email: user.email, role: user.role },
    };
  }

  async verify(token: string): Promise<Principal> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(token, { algorithms: ['HS256'] });
    } catch (err) {
      if ((err as Error).name === 'TokenExpiredError') {
        throw new UnauthenticatedError('Your session has expired; sign in again', 'TOKEN_EXPIRED');
      }
      throw new UnauthenticatedError('The access token is not valid; sign in again', 'INVALID_TOKEN');
    }
    const user = typeof claims.sub === 'string' ? await this.users.findWithPasswordHash({ id: claims.sub }) : null;
    if (!user || user.tokenVersion !== claims.ver) {
      throw new UnauthenticatedError(
        'This session has ended (password changed or account removed); sign in again',
        'TOKEN_REVOKED',
      );
    }
    return {
      kind: 'user',
      userId: user.id,
      email: user.email,
      role: user.role,
      expiresAt: claims.exp ? new Date(claims.exp * 1000) : undefined,
    };
  }
}
