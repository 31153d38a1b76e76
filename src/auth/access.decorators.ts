import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

/** read: search, ask, conversations, viewing · write: uploads, edits, deletes · manage: members (owner or admin). */
export type KnowledgeBaseAccessLevel = 'read' | 'write' | 'manage';

/**
 * Where the route names its knowledge base: directly (`knowledgeBase`, by id or slug), through a
 * document, chunk or conversation id, or (`knowledgeBaseSlug`) by slug, e.g. the OpenAI `model` field.
 */
export type KnowledgeBaseSource = 'knowledgeBase' | 'document' | 'chunk' | 'conversation' | 'knowledgeBaseSlug';

export interface KnowledgeBaseAccessOptions {
  from?: KnowledgeBaseSource;
  /** Route parameter holding the id (default `id`). */
  param?: string;
  /** Read the id from this JSON body field instead of a route parameter (e.g. `model` on /v1/chat/completions). */
  body?: string;
  /** Turns the raw value into the id or slug to look up, e.g. Ollama's `slug:latest` into `slug`. */
  toRef?: (raw: unknown) => unknown;
  /** The error to throw instead of the 404 "Knowledge base … was not found" (e.g. Ollama's `model "x" not found`). */
  notFound?: (raw: unknown) => Error;
  /**
   * Whether an API key's call counts against API_KEY_ASK_LIMIT_PER_MIN (default: every non-GET, i.e.
   * questions and searches); false for cheap POSTs such as Ollama's /api/show.
   */
  countsAsAsk?: boolean;
}

export interface KnowledgeBaseAccessRule {
  level: KnowledgeBaseAccessLevel;
  from: KnowledgeBaseSource;
  param: string;
  body?: string;
  toRef?: (raw: unknown) => unknown;
  notFound?: (raw: unknown) => Error;
  countsAsAsk?: boolean;
}

export const KNOWLEDGE_BASE_ACCESS_KEY = 'zhiku:knowledgeBaseAccess';
export const ADMIN_ONLY_KEY = 'zhiku:adminOnly';
export const ALLOW_API_KEYS_KEY = 'zhiku:allowApiKeys';

/**
 * The caller needs `level` on the knowledge base the route names. Admins pass; members pass as owner
 * or with a membership; API keys pass within their knowledge bases and scopes (`ask` for read,
 * `write` for write; never manage). Unknown or invisible → 404, visible but not enough → 403.
 * Also lets API keys reach the route (they reach no route without this or @AllowApiKeys).
 *
 * @example @KnowledgeBaseAccess('write', { from: 'document' })            // DELETE /api/documents/:id
 * @example @KnowledgeBaseAccess('read', { from: 'knowledgeBaseSlug', body: 'model' })  // /v1/chat/completions
 */
export const KnowledgeBaseAccess = (
  level: KnowledgeBaseAccessLevel,
  options: KnowledgeBaseAccessOptions = {},
): MethodDecorator & ClassDecorator =>
  SetMetadata(KNOWLEDGE_BASE_ACCESS_KEY, {
    level,
    from: options.from ?? 'knowledgeBase',
    param: options.param ?? 'id',
    body: options.body,
    toRef: options.toRef,
    notFound: options.notFound,
    countsAsAsk: options.countsAsAsk,
  } satisfies KnowledgeBaseAccessRule);

/** Admins only (users, models, settings); API keys never. */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ONLY_KEY, true);

/**
 * Lets API keys call a route that has no single knowledge base to check, because the handler filters
 * by the principal itself (e.g. GET /v1/models, GET /api/knowledge-bases via AccessService).
 */
export const AllowApiKeys = (): MethodDecorator & ClassDecorator => SetMetadata(ALLOW_API_KEYS_KEY, true);

/**
 * The id of the knowledge base @KnowledgeBaseAccess resolved for this request (also when the route
 * named it through a document, chunk, conversation or slug).
 */
export const ResolvedKnowledgeBaseId = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string | undefined =>
    ctx.switchToHttp().getRequest<{ knowledgeBaseAccess?: { knowledgeBaseId: string } }>().knowledgeBaseAccess
      ?.knowledgeBaseId,
);
