import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectRepository } from '@nestjs/typeorm';
import type { Response } from 'express';
import { Repository } from 'typeorm';
import { AccessService } from '../../auth/access.service';
import type { Principal } from '../../auth/principal';
import { DomainError, ValidationFailedError } from '../../common/errors/domain-error';
import { writeEventStream } from '../../common/http/server-sent-events';
import { KnowledgeBase } from '../../knowledge-bases/knowledge-base.entity';
import { MAX_QUERY_CHARS } from '../../retrieval/retrieval.types';
import { collectAnswer } from '../ask-response';
import type { AskEvent, AskInput, AskResult } from '../chat.types';
import { ChatService } from '../chat.service';
import type { ChatCompletionDto, ChatCompletionMessageDto } from '../dto/chat-completion.dto';

export class ModelNotFoundError extends DomainError {
  constructor(model: string) {
    super(
      'MODEL_NOT_FOUND',
      `The model "${model}" does not exist. Models are knowledge bases; GET /v1/models lists the ones you can ask.`,
      404,
    );
  }
}

/**
 * The OpenAI-compatible face of question answering: a knowledge base is a model (id = its slug), the
 * last user message is the question and the earlier user/assistant messages are the history. Responses
 * carry a `citations` array (on the completion, and on the final stream chunk) that plain clients ignore.
 */
@Injectable()
export class OpenAiCompatService {
  constructor(
    @InjectRepository(KnowledgeBase) private readonly knowledgeBases: Repository<KnowledgeBase>,
    private readonly chat: ChatService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** GET /v1/models: the knowledge bases the caller may ask. */
  async listModels(principal?: Principal) {
    const qb = this.knowledgeBases.createQueryBuilder('kb').orderBy('kb.slug', 'ASC');
    const access = this.accessService();
    if (principal && access) {
      const visible = access.visibleKnowledgeBasesCondition(principal, 'kb.id');
      qb.where(visible.sql, visible.params);
    }
    const kbs = await qb.getMany();
    return { object: 'list', data: kbs.map(toModel) };
  }

  /** GET /v1/models/:model */
  async getModel(slug: string) {
    return toModel(await this.findBySlug(slug));
  }

  /** POST /v1/chat/completions, streamed or not. */
  async complete(
    body: ChatCompletionDto,
    principal: Principal,
    signal: AbortSignal,
    res: Response,
  ): Promise<void> {
    const kb = await this.findBySlug(body.model);
    const events = await this.chat.ask(kb, toAskInput(body), principal, signal);
    const meta = { id: '', created: Math.floor(Date.now() / 1000), model: kb.slug };
    if (!body.stream) {
      res.status(200).json(completion(meta, await collectAnswer(events)));
      return;
    }
    await writeEventStream(
      res,
      withDone(events),
      (event) => {
        if (event === DONE) return 'data: [DONE]\n\n';
        return chunksFor(event, meta, body.stream_options?.include_usage === true)
          .map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`)
          .join('');
      },
      (code, message) =>
        `data: ${JSON.stringify({ error: { message, type: 'api_error', param: null, code: code.toLowerCase() } })}\n\n`,
    );
  }

  private async findBySlug(slug: string): Promise<KnowledgeBase> {
    const kb = await this.knowledgeBases.findOneBy({ slug });
    if (!kb) throw new ModelNotFoundError(slug);
    return kb;
  }

  /** The accounts module's access rules, when it is loaded (it is in the app; it may not be in a bare test module). */
  private accessService(): AccessService | undefined {
    try {
      return this.moduleRef.get(AccessService, { strict: false });
    } catch {
      return undefined;
    }
  }
}

const DONE = Symbol('done');

/** Appends the `[DONE]` marker after a successful answer (not after an error). */
async function* withDone(events: AsyncIterable<AskEvent>): AsyncGenerator<AskEvent | typeof DONE> {
  let failed = false;
  for await (const event of events) {
    if (event.type === 'error') failed = true;
    yield event;
  }
  if (!failed) yield DONE;
}

interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

function toModel(kb: KnowledgeBase) {
  return {
    id: kb.slug,
    object: 'model',
    created: Math.floor(kb.createdAt.getTime() / 1000),
    owned_by: 'zhiku',
    name: kb.name,
  };
}

function textOf(message: ChatCompletionMessageDto): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) {
    return message.content
      .map((part: unknown) =>
        part && typeof part === 'object' && (part as { type?: unknown }).type === 'text'
          ? String((part as { text?: unknown }).text ?? '')
          : '',
      )
      .join('');
  }
  return '';
}

function toAskInput(body: ChatCompletionDto): AskInput {
  const last = body.messages[body.messages.length - 1];
  const question = textOf(last);
  if (last.role !== 'user' || !question.trim()) {
    throw new ValidationFailedError('The last message must be a user message with the question as text');
  }
  if (question.length > MAX_QUERY_CHARS) {
    throw new ValidationFailedError(`The question is too long: at most ${MAX_QUERY_CHARS} characters`);
  }
  // The knowledge base's own instructions stay in charge; client system prompts are not mixed in.
  const history = body.messages
    .slice(0, -1)
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role as 'user' | 'assistant', content: textOf(m) }))
    .filter((m) => m.content.trim());
  return {
    question,
    history,
    temperature: body.temperature,
    topP: body.top_p,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    source: 'openai',
  };
}

function usageOf(result: AskResult) {
  const prompt = result.usage.promptTokens ?? 0;
  const completionTokens = result.usage.completionTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens };
}

function finishReason(result: AskResult): 'stop' | 'length' {
  return result.finishReason === 'length' ? 'length' : 'stop';
}

function completion(meta: CompletionMeta, result: AskResult) {
  return {
    id: `chatcmpl-${result.messageId}`,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: result.answer, refusal: null },
        logprobs: null,
        finish_reason: finishReason(result),
      },
    ],
    usage: usageOf(result),
    citations: result.citations,
    conversation_id: result.conversationId,
  };
}

/** The stream chunks for one event: role first, content deltas, then the finish chunk with the citations. */
function chunksFor(event: AskEvent, meta: CompletionMeta, includeUsage: boolean): object[] {
  const chunk = (id: string, choices: object[], extra: object = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices,
    ...extra,
  });
  // The message id is only known at the end; stream chunks share one id of their own.
  meta.id ||= `chatcmpl-${crypto.randomUUID()}`;
  switch (event.type) {
    case 'sources':
      return [
        chunk(meta.id, [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
      ];
    case 'delta':
      return [chunk(meta.id, [{ index: 0, delta: { content: event.content }, logprobs: null, finish_reason: null }])];
    case 'done': {
      const final = chunk(
        meta.id,
        [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(event.result) }],
        {
          citations: event.result.citations,
          conversation_id: event.result.conversationId,
        },
      );
      return includeUsage ? [final, chunk(meta.id, [], { usage: usageOf(event.result) })] : [final];
    }
    case 'error':
      return [{ error: { message: event.message, type: 'api_error', param: null, code: event.code.toLowerCase() } }];
  }
}
