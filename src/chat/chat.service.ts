import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError, errorViewFor } from '../common/errors/domain-error';
import { estimateTokens } from '../common/text/token-estimate';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import type { ChatDelta, ChatMessage, ChatOptions } from '../llm/llm.types';
import { OllamaClientService } from '../llm/ollama-client.service';
import { RetrievalService } from '../retrieval/retrieval.service';
import type { SearchHit } from '../retrieval/retrieval.types';
import { AnswerSettings, resolveAnswerSettings } from './answer-settings';
import type { AnswerTrace, AnswerUsage, AskEvent, AskInput, AskResult, BudgetTrace, Citation } from './chat.types';
import { citedSources, toCitation } from './citations';
import { defaultAnswerReserve, planContextBudget } from './context-budget';
import { ConversationsService } from './conversations.service';
import {
  AnswerLanguage,
  buildAnswerMessages,
  buildRewriteMessages,
  cleanRewrite,
  DEFAULT_NO_HIT_TEXTS,
  detectLanguage,
  fixedPromptTokens,
  MESSAGE_OVERHEAD_TOKENS,
  PromptSource,
  sourceTokens,
} from './prompts';

const REWRITE_MAX_TOKENS = 128;
const REWRITE_MAX_CHARS = 500;

/** Where one ask stands while it runs; becomes the stored message and its trace. */
interface AskState {
  kb: KnowledgeBase;
  input: AskInput;
  principal: Principal;
  settings: AnswerSettings;
  language: AnswerLanguage;
  started: number;
  conversationId: string;
  isNewConversation: boolean;
  messageId: string;
  trace: AnswerTrace;
}

/**
 * Answers questions from a knowledge base: rewrites a follow-up into a standalone query, searches,
 * fits the best passages into the model's context window, streams the model's answer and stores the
 * turn with its citations, usage, timings and trace.
 *
 * Everything that can fail before the first token (unknown knowledge base or conversation, Ollama
 * down, model missing) throws, so the caller can still answer with an HTTP error; after that, failures
 * arrive as an `error` event and the partial answer is stored as failed, never as complete.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly retrieval: RetrievalService,
    private readonly conversations: ConversationsService,
    private readonly ollama: OllamaClientService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** POST /api/knowledge-bases/:id/ask (both REST forms). */
  async askKnowledgeBase(id: string, input: AskInput, principal: Principal, signal: AbortSignal) {
    return this.ask(await this.retrieval.getKnowledgeBase(id), input, principal, signal);
  }

  /** Starts an answer; resolves once the model's first token is in (or with the not-found text). */
  async ask(
    kb: KnowledgeBase,
    input: AskInput,
    principal: Principal,
    signal: AbortSignal,
  ): Promise<AsyncGenerator<AskEvent>> {
    const started = performance.now();
    const settings = resolveAnswerSettings(kb.settings, this.config);
    const conversation = input.conversationId
      ? await this.conversations.getVisible(input.conversationId, principal, kb.id)
      : undefined;
    const turns = settings.historyTurns;
    const history = !turns
      ? []
      : (input.history?.slice(-turns * 2) ??
        (conversation ? await this.conversations.history(conversation.id, turns) : []));
    const language = detectLanguage(input.question);

    const rewrite =
      settings.rewriteFollowUps && history.length
        ? await this.rewriteFollowUp(settings, history, input.question, language, signal)
        : null;
    const searchQuery = rewrite?.query ?? input.question;
    const outcome = await this.retrieval.search(kb, searchQuery, { mode: input.mode, topK: input.topK, signal });

    const state: AskState = {
      kb,
      input,
      principal,
      settings,
      language,
      started,
      conversationId: conversation?.id ?? randomUUID(),
      isNewConversation: !conversation,
      messageId: randomUUID(),
      trace: {
        question: input.question,
        searchQuery,
        rewrite,
        language,
        historyMessages: history.length,
        search: { ...outcome.trace, ...outcome.timings },
        budget: null,
        noHit: null,
        model: null,
        options: {},
        usage: { promptTokens: null, completionTokens: null },
        timings: {
          retrievalMs: ms(started),
          rewriteMs: rewrite?.ms ?? 0,
          embedMs: outcome.timings.embedMs,
          searchMs: outcome.timings.searchMs,
          firstTokenMs: null,
          generationMs: null,
          totalMs: 0,
        },
        doneReason: null,
      },
    };
    if (!outcome.results.length && settings.noHitMode === 'text') return this.answerNotFound(state);

    const prompt = await this.composePrompt(state, outcome.results, history);
    if (!prompt) return this.answerNotFound(state);
    const deltas = this.ollama.chatStream({
      model: settings.chatModel,
      messages: prompt.messages,
      options: prompt.options,
      signal,
    });
    // Wait for the first piece: a refused connection or a missing model is still an HTTP error here.
    const first = await deltas.next();
    return this.streamAnswer(state, prompt.citations, deltas, first, signal);
  }

  /**
   * Fits the best passages into the context window and writes the messages; null when passages were
   * found but not even the best one fits (then the not-found text is the honest answer).
   */
  private async composePrompt(state: AskState, hits: SearchHit[], history: ChatMessage[]) {
    const { settings, language, input } = state;
    const { numCtx, contextLength } = await this.contextWindow(settings, input.numCtx);
    const answerReserve = Math.min(input.maxTokens ?? defaultAnswerReserve(numCtx), Math.floor(numCtx / 2));
    const withSources = hits.length > 0;
    const promptBase = {
      language,
      knowledgeBaseName: state.kb.name,
      customPrompt: settings.prompt,
      withSources,
      question: input.question,
    };
    const candidates = hits.map((hit, i) => toPromptSource(hit, i + 1));
    const candidateTokens = candidates.map((s) => sourceTokens(s, language));
    const fixedTokens = fixedPromptTokens(promptBase);
    const plan = planContextBudget({
      numCtx,
      fixedTokens,
      answerReserve,
      historyTokens: history.map((m) => estimateTokens(m.content) + MESSAGE_OVERHEAD_TOKENS),
      sourceTokens: candidateTokens,
    });
    state.trace.budget = budgetTrace(
      numCtx,
      contextLength,
      fixedTokens,
      input.question,
      answerReserve,
      plan,
      hits,
      candidateTokens,
    );
    if (withSources && !plan.keptSources && settings.noHitMode === 'text') return null;
    if (!withSources) state.trace.noHit = 'model';

    const options: ChatOptions = { num_ctx: numCtx, temperature: input.temperature ?? settings.temperature };
    if (input.topP !== undefined) options.top_p = input.topP;
    if (input.maxTokens !== undefined) options.num_predict = input.maxTokens;
    state.trace.model = settings.chatModel;
    state.trace.options = { ...options };
    return {
      messages: buildAnswerMessages({
        ...promptBase,
        sources: candidates.slice(0, plan.keptSources),
        history: history.slice(plan.droppedHistory),
      }),
      citations: hits.slice(0, plan.keptSources).map((hit, i) => toCitation(hit, i + 1)),
      options,
    };
  }

  /**
   * num_ctx for every /api/chat: the client's, else the knowledge base's (or CHAT_NUM_CTX), never above
   * the model's context.
   */
  private async contextWindow(
    settings: AnswerSettings,
    requested?: number,
  ): Promise<{ numCtx: number; contextLength: number | null }> {
    const { contextLength } = await this.ollama.showModel(settings.chatModel);
    const numCtx = Math.min(requested ?? settings.numCtx, contextLength ?? Infinity);
    return { numCtx, contextLength: contextLength ?? null };
  }

  private async rewriteFollowUp(
    settings: AnswerSettings,
    history: ChatMessage[],
    question: string,
    language: AnswerLanguage,
    signal: AbortSignal,
  ) {
    const started = performance.now();
    const { numCtx } = await this.contextWindow(settings);
    const result = await this.ollama.chat({
      model: settings.chatModel,
      messages: buildRewriteMessages(history, question, language),
      options: { num_ctx: numCtx, temperature: 0, num_predict: REWRITE_MAX_TOKENS },
      signal,
    });
    const query = cleanRewrite(result.content, REWRITE_MAX_CHARS) ?? question;
    return { query, ms: ms(started), model: settings.chatModel };
  }

  /** Nothing passed minScore: the knowledge base's not-found text, without calling the model. */
  private async *answerNotFound(state: AskState): AsyncGenerator<AskEvent> {
    const answer = state.settings.noHitText ?? DEFAULT_NO_HIT_TEXTS[state.language];
    state.trace.noHit = 'text';
    yield { type: 'sources', citations: [], conversationId: state.conversationId, messageId: state.messageId };
    yield { type: 'delta', content: answer };
    const result = this.result(state, answer, [], { promptTokens: 0, completionTokens: 0 }, null, 'no_hit');
    await this.save(state, result, 'complete', null);
    yield { type: 'done', result };
  }

  private async *streamAnswer(
    state: AskState,
    citations: Citation[],
    deltas: AsyncGenerator<ChatDelta>,
    first: IteratorResult<ChatDelta>,
    signal: AbortSignal,
  ): AsyncGenerator<AskEvent> {
    let answer = '';
    let last: ChatDelta | undefined;
    let firstTokenAt: number | null = null;
    let stored = false;
    const firstResultAt = performance.now();
    const fail = async (status: 'failed' | 'aborted', error: { code: string; message: string }) => {
      stored = true;
      const usage = { promptTokens: null, completionTokens: null };
      await this.save(
        state,
        this.result(state, answer, citedSources(answer, citations), usage, firstTokenAt, status),
        status,
        error,
      );
    };
    try {
      yield { type: 'sources', citations, conversationId: state.conversationId, messageId: state.messageId };
      for (let step = first; !step.done; step = await deltas.next()) {
        const delta = step.value;
        if (delta.done) last = delta;
        if (!delta.content) continue;
        firstTokenAt ??= performance.now();
        answer += delta.content;
        yield { type: 'delta', content: delta.content };
      }
      const usage = { promptTokens: last?.promptTokens ?? null, completionTokens: last?.completionTokens ?? null };
      state.trace.doneReason = last?.doneReason ?? null;
      const finishReason = last?.doneReason === 'length' ? 'length' : 'stop';
      const result = this.result(state, answer, citedSources(answer, citations), usage, firstTokenAt, finishReason);
      state.trace.timings.generationMs = ms(firstResultAt);
      stored = true;
      await this.save(state, result, 'complete', null);
      yield { type: 'done', result };
    } catch (err) {
      if (stored) throw err;
      const code = err instanceof DomainError ? err.code : 'INTERNAL_ERROR';
      // As the HTTP errors: members are not told the server's internals (e.g. Ollama's address).
      const message =
        err instanceof DomainError
          ? errorViewFor(err, state.principal.role === 'admin').message
          : 'The answer broke off unexpectedly';
      if (!(err instanceof DomainError)) this.logger.error({ err }, 'answer stream failed');
      if (signal.aborted || code === 'ABORTED') {
        await fail('aborted', { code: 'ABORTED', message: 'The client went away before the answer was complete' });
        return;
      }
      await fail('failed', { code, message });
      yield { type: 'error', code, message };
    } finally {
      // Reached early when the consumer stops reading: close the Ollama stream and keep what was said.
      if (!stored) {
        await deltas.return(undefined);
        await fail('aborted', { code: 'ABORTED', message: 'The client went away before the answer was complete' });
      }
    }
  }

  private result(
    state: AskState,
    answer: string,
    citations: Citation[],
    usage: AnswerUsage,
    firstTokenAt: number | null,
    finishReason: string,
  ): AskResult {
    const timings = {
      retrievalMs: state.trace.timings.retrievalMs,
      firstTokenMs: firstTokenAt === null ? null : round(firstTokenAt - state.started),
      totalMs: ms(state.started),
    };
    Object.assign(state.trace.timings, timings);
    state.trace.usage = usage;
    return {
      answer,
      citations,
      conversationId: state.conversationId,
      messageId: state.messageId,
      usage,
      timings,
      finishReason,
    };
  }

  private async save(
    state: AskState,
    result: AskResult,
    status: 'complete' | 'failed' | 'aborted',
    error: { code: string; message: string } | null,
  ): Promise<void> {
    await this.conversations.saveTurn({
      conversationId: state.conversationId,
      newConversation: state.isNewConversation
        ? {
            knowledgeBaseId: state.kb.id,
            userId: state.principal.userId,
            apiKeyId: state.principal.apiKeyId ?? null,
            source: state.input.source ?? 'api',
          }
        : undefined,
      question: state.input.question,
      answer: {
        id: state.messageId,
        content: result.answer,
        status,
        citations: result.citations,
        usage: result.usage,
        timings: result.timings,
        trace: state.trace,
        error,
      },
    });
  }
}

function toPromptSource(hit: SearchHit, index: number): PromptSource {
  return {
    index,
    documentName: hit.documentName,
    title: hit.title,
    pageFrom: hit.pageFrom,
    pageTo: hit.pageTo,
    location: hit.location ?? null,
    content: hit.content,
  };
}

function budgetTrace(
  numCtx: number,
  contextLength: number | null,
  fixedTokens: number,
  question: string,
  answerReserve: number,
  plan: ReturnType<typeof planContextBudget>,
  hits: SearchHit[],
  tokens: number[],
): BudgetTrace {
  const questionTokens = estimateTokens(question);
  return {
    numCtx,
    modelContextLength: contextLength,
    systemTokens: fixedTokens - questionTokens,
    historyTokens: plan.historyTokens,
    questionTokens,
    answerReserve,
    sourceBudget: plan.sourceBudget,
    sourceTokens: plan.sourceTokens,
    used: hits.slice(0, plan.keptSources).map((h, i) => ({ index: i + 1, chunkId: h.chunkId, tokens: tokens[i] })),
    dropped: hits.slice(plan.keptSources).map((h, i) => ({ chunkId: h.chunkId, tokens: tokens[plan.keptSources + i] })),
    droppedHistoryMessages: plan.droppedHistory,
  };
}

function ms(started: number): number {
  return round(performance.now() - started);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
