import { Injectable, Logger } from '@nestjs/common';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AccessService } from '../auth/access.service';
import { AskQuotaService } from '../auth/ask-quota.service';
import type { Principal } from '../auth/principal';
import { collectAnswer } from '../chat/ask-response';
import { ChatService } from '../chat/chat.service';
import { DomainError, errorViewFor, NotFoundError, ValidationFailedError } from '../common/errors/domain-error';
import { KnowledgeBasesService, KnowledgeBaseView } from '../knowledge-bases/knowledge-bases.service';
import { RetrievalService } from '../retrieval/retrieval.service';
import { askInput, AskToolInput, searchInput, SearchToolInput } from './dto/tool-inputs';
import { answerResult, knowledgeBasesResult, searchResult, toolError, ToolResult } from './mcp-results';

/** What MCP clients are told in `initialize`. */
const SERVER_INFO = { name: 'zhiku', title: 'zhiku 知库: your knowledge bases', version: '0.1.0' };

const INSTRUCTIONS =
  'zhiku answers questions from the documents in its knowledge bases, with citations to document and page. ' +
  'Call list_knowledge_bases first to see which knowledge bases you may use; then ask (a grounded answer with ' +
  'sources) or search (the raw passages, to read and quote yourself). Knowledge bases are named by id, slug or name.';

interface ToolContext {
  principal: Principal;
  signal: AbortSignal;
}

/**
 * The MCP server behind POST /mcp, in the SDK's stateless mode: every HTTP request gets a fresh server and
 * transport bound to its caller (their knowledge bases and scopes), so nothing is kept between requests and
 * any API replica can answer any request. Tools use the same services as REST: AccessService for what the
 * caller may see, RetrievalService for search, ChatService for answers.
 */
@Injectable()
export class McpService {
  private readonly logger = new Logger(McpService.name);

  constructor(
    private readonly access: AccessService,
    private readonly askQuota: AskQuotaService,
    private readonly knowledgeBases: KnowledgeBasesService,
    private readonly retrieval: RetrievalService,
    private readonly chat: ChatService,
  ) {}

  /**
   * A transport connected to a server for this caller; the controller hands it the request. `clientLeft`
   * aborts running tools (and so the Ollama request) when the HTTP client goes away.
   */
  async connect(principal: Principal, clientLeft: AbortSignal): Promise<StreamableHTTPServerTransport> {
    const server = this.createServer(principal, clientLeft);
    // Tools return whole results, so plain JSON responses suffice (no SSE stream per request).
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    return transport;
  }

  private createServer(principal: Principal, clientLeft: AbortSignal): McpServer {
    const server = new McpServer(SERVER_INFO, { instructions: INSTRUCTIONS });
    const context = (requestSignal: AbortSignal): ToolContext => ({
      principal,
      signal: AbortSignal.any([clientLeft, requestSignal]),
    });

    server.registerTool(
      'list_knowledge_bases',
      {
        title: 'List knowledge bases',
        description:
          'Lists the knowledge bases you may search and ask: id, slug, name, description and how many documents ' +
          'and passages each holds. Use one of them as knowledgeBase in search and ask.',
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      async (extra) => this.run(context(extra.signal), (ctx) => this.listKnowledgeBases(ctx)),
    );
    server.registerTool(
      'search',
      {
        title: 'Search a knowledge base',
        description:
          'Finds the passages of a knowledge base that best match a query, best first, each with its document, ' +
          'pages (or slides, chapters, rows), heading, text and scores (score: the ranking score of the mode; ' +
          'vectorScore: cosine similarity; keywordScore: word match, 0 to 1). Use it to read the sources yourself; ' +
          'use ask for a ready answer.',
        inputSchema: searchInput,
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      async (args, extra) => this.run(context(extra.signal), (ctx) => this.search(ctx, args)),
    );
    server.registerTool(
      'ask',
      {
        title: 'Ask a knowledge base',
        description:
          "Answers a question from a knowledge base's documents only, citing them as [1], [2]… with a Sources list " +
          '(document and page) after the answer; says so plainly when the documents do not contain the answer. ' +
          'Returns a conversationId: pass it with the next question to ask a follow-up.',
        inputSchema: askInput,
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      async (args, extra) => this.run(context(extra.signal), (ctx) => this.ask(ctx, args)),
    );
    return server;
  }

  private async listKnowledgeBases({ principal }: ToolContext): Promise<ToolResult> {
    return knowledgeBasesResult(await this.visibleKnowledgeBases(principal));
  }

  private async search({ principal, signal }: ToolContext, args: SearchToolInput): Promise<ToolResult> {
    const kb = await this.resolveKnowledgeBase(principal, args.knowledgeBase);
    await this.askQuota.count(principal);
    signal.throwIfAborted();
    const { results } = await this.retrieval.searchKnowledgeBase(kb.id, {
      query: args.query,
      mode: args.mode,
      topK: args.topK,
    });
    return searchResult(kb, args.query, results);
  }

  private async ask({ principal, signal }: ToolContext, args: AskToolInput): Promise<ToolResult> {
    const kb = await this.resolveKnowledgeBase(principal, args.knowledgeBase);
    await this.askQuota.count(principal);
    const events = await this.chat.askKnowledgeBase(
      kb.id,
      { question: args.question, conversationId: args.conversationId, mode: args.mode, topK: args.topK },
      principal,
      signal,
    );
    return answerResult(kb, await collectAnswer(events));
  }

  private async visibleKnowledgeBases(principal: Principal): Promise<KnowledgeBaseView[]> {
    const visible = await this.access.accessibleKnowledgeBaseIds(principal);
    return this.knowledgeBases.list(visible === 'all' ? undefined : visible);
  }

  /**
   * By id or slug (one access query, as REST's guard does), else by name among the caller's knowledge
   * bases. A knowledge base the caller may not see is not found, exactly like one that does not exist.
   */
  private async resolveKnowledgeBase(principal: Principal, ref: string): Promise<{ id: string; name: string }> {
    try {
      const decision = await this.access.authorize(principal, 'knowledgeBase', ref, 'read');
      return { id: decision.knowledgeBaseId, name: decision.label ?? ref };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const visible = await this.visibleKnowledgeBases(principal);
    const wanted = ref.trim().toLowerCase();
    const named = visible.filter((kb) => kb.name.trim().toLowerCase() === wanted);
    if (named.length === 1) return { id: named[0].id, name: named[0].name };
    if (named.length > 1) {
      throw new ValidationFailedError(
        `Several knowledge bases are named "${ref}": give the slug instead (${named.map((kb) => kb.slug).join(', ')})`,
      );
    }
    const known = visible.map((kb) => `${kb.name} (${kb.slug})`).join(', ');
    throw new DomainError(
      'NOT_FOUND',
      `There is no knowledge base "${ref}" that you may ask. ` +
        (known ? `You may ask: ${known}.` : 'You may not ask any knowledge base.'),
      404,
    );
  }

  /** Runs a tool; a failure becomes an MCP tool error in plain words (as much as the caller may see). */
  private async run(context: ToolContext, tool: (context: ToolContext) => Promise<ToolResult>): Promise<ToolResult> {
    try {
      return await tool(context);
    } catch (err) {
      if (err instanceof DomainError) return toolError(errorViewFor(err, context.principal.role === 'admin').message);
      if (context.signal.aborted) return toolError('The request was cancelled.');
      this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      return toolError('zhiku failed unexpectedly while doing this; an administrator can find the details in its log.');
    }
  }
}
