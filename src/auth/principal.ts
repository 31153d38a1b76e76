import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * Who is calling: a signed-in user, or an API key acting for its owner within its scopes.
 * Set on the request by the accounts guard; services take it to decide what the caller may see.
 */
export interface Principal {
  kind: 'user' | 'apiKey';
  userId: string;
  email?: string;
  role: 'admin' | 'member';
  /** API keys only: the knowledge bases the key may reach ('all' = every one its owner may reach). */
  knowledgeBaseIds?: string[] | 'all';
  /** API keys only. */
  scopes?: ('ask' | 'write')[];
  apiKeyId?: string;
  /** When the credential stops working (the access token's expiry, the API key's expiresAt); none: never. */
  expiresAt?: Date;
}

/**
 * The caller of a route the accounts guard let through (every route that is not @Public), so never
 * undefined; on a @Public route it is a programming error.
 */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  if (!principal) throw new Error('@CurrentPrincipal() on a route without credentials (is it @Public?)');
  return principal;
});
