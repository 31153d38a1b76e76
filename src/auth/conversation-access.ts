import type { Principal } from './principal';

/** Who a conversation belongs to: the user who asked and, when they asked with one, the API key. */
export interface ConversationOwner {
  userId: string | null;
  apiKeyId: string | null;
}

/**
 * A conversation is private to whoever asked. Signed in, a user opens their own (including those their API
 * keys started) and an admin every one; an API key opens only the conversations it started itself, even
 * when its owner is an admin, so a leaked `ask` key reveals no one's history.
 */
export function mayOpenConversation(principal: Principal, owner: ConversationOwner): boolean {
  if (principal.kind === 'apiKey') return owner.apiKeyId !== null && owner.apiKeyId === principal.apiKeyId;
  return principal.role === 'admin' || owner.userId === null || owner.userId === principal.userId;
}

/** Deleting a conversation is not asking: an API key needs the `write` scope for it. */
export function mayDeleteConversations(principal: Principal): boolean {
  return principal.kind !== 'apiKey' || (principal.scopes ?? []).includes('write');
}
