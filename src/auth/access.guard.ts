import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { NotFoundError } from '../common/errors/domain-error';
import { IS_PUBLIC_KEY } from '../common/http/public.decorator';
import {
  ADMIN_ONLY_KEY,
  ALLOW_API_KEYS_KEY,
  KNOWLEDGE_BASE_ACCESS_KEY,
  KnowledgeBaseAccessRule,
} from './access.decorators';
import { AccessDecision, AccessService } from './access.service';
import { AskQuotaService } from './ask-quota.service';
import { API_KEY_PREFIX, ApiKeysService } from './api-keys.service';
import { ForbiddenError, SetupRequiredError, TooManyRequestsError, UnauthenticatedError } from './auth-errors';
import { Principal } from './principal';
import { TokenService } from './token.service';
import { UsersService } from './users.service';

export type AuthenticatedRequest = Request & {
  principal?: Principal;
  knowledgeBaseAccess?: AccessDecision;
  /**
   * Checks again, as for a new request, that the credential still works and still reaches the route's
   * knowledge base; throws when not. For responses that outlive the moment they were authorized (streams).
   */
  recheckAccess?: () => Promise<void>;
};

/**
 * The global guard: every route needs `Authorization: Bearer <access token | zk_ API key>` unless it is
 * @Public(). While no user exists, everything else answers 503 SETUP_REQUIRED. Then @AdminOnly and
 * @KnowledgeBaseAccess are enforced, API keys are kept to the routes meant for them, and asks
 * (POSTs on read routes) made with a key are counted against API_KEY_ASK_LIMIT_PER_MIN.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly apiKeys: ApiKeysService,
    private readonly access: AccessService,
    private readonly askQuota: AskQuotaService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;

    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (await this.users.setupRequired()) throw new SetupRequiredError();
    const principal = await this.authenticate(req);
    req.principal = principal;

    const rule = this.reflector.getAllAndOverride<KnowledgeBaseAccessRule | undefined>(
      KNOWLEDGE_BASE_ACCESS_KEY,
      targets,
    );
    const adminOnly = this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY_KEY, targets);
    const allowKeys = this.reflector.getAllAndOverride<boolean>(ALLOW_API_KEYS_KEY, targets);

    if (principal.kind === 'apiKey' && (adminOnly || (!rule && !allowKeys))) {
      throw new ForbiddenError(
        'API keys are for asking, searching and (with the write scope) managing documents; sign in for this',
        'API_KEY_NOT_ALLOWED',
      );
    }
    if (adminOnly && principal.role !== 'admin') throw new ForbiddenError('Only administrators may do this');

    const raw =
      rule && (rule.body ? (req.body as Record<string, unknown> | undefined)?.[rule.body] : req.params[rule.param]);
    const ref = rule?.toRef ? rule.toRef(raw) : raw;
    const authorize = async (who: Principal, r: KnowledgeBaseAccessRule) => {
      try {
        return await this.access.authorize(who, r.from, ref, r.level);
      } catch (err) {
        throw r.notFound && err instanceof NotFoundError ? r.notFound(raw) : err;
      }
    };
    if (rule) {
      req.knowledgeBaseAccess = await authorize(principal, rule);
      const countsAsAsk = rule.countsAsAsk ?? req.method !== 'GET';
      if (principal.kind === 'apiKey' && rule.level === 'read' && countsAsAsk) {
        await this.countAsk(principal, context.switchToHttp().getResponse<Response>());
      }
    }
    req.recheckAccess = async () => {
      const again = await this.authenticate(req);
      if (rule) await authorize(again, rule);
    };
    return true;
  }

  private async authenticate(req: Request): Promise<Principal> {
    const header = req.headers.authorization;
    if (!header) {
      throw new UnauthenticatedError('Sign in first: send Authorization: Bearer <access token or API key>');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <access token or API key>"');
    const credential = match[1];
    return credential.startsWith(API_KEY_PREFIX)
      ? this.apiKeys.authenticate(credential)
      : this.tokens.verify(credential);
  }

  /** Questions and searches are what cost (Ollama time), so they are what a key is limited on. */
  private async countAsk(principal: Principal, res: Response): Promise<void> {
    try {
      await this.askQuota.count(principal);
    } catch (err) {
      if (err instanceof TooManyRequestsError) res.setHeader('Retry-After', String(err.retryAfterSec));
      throw err;
    }
  }
}
