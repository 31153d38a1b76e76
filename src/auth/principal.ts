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

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal | undefined => ctx.switchToHttp().getRequest().principal,
);
