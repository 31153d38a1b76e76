import { Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { KnowledgeBase } from '../../knowledge-bases/knowledge-base.entity';
import { collectAnswer } from '../ask-response';
import { questionAndHistory } from '../chat-messages';
import type { AskEvent, AskInput, AskResult } from '../chat.types';
import { ChatService } from '../chat.service';
import { KnowledgeBaseModelsService } from '../knowledge-base-models.service';
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
 * It maps the chat service's answer events to OpenAI's objects; the controller writes them.
 */
@Injectable()
export class OpenAiCompatService {
  constructor(
    private readonly models: KnowledgeBaseModelsService,
    private readonly chat: ChatService,
  ) {}

  /** GET /v1/models: the knowledge bases the caller may ask. */
  async listModels(principal: Principal) {
    return { object: 'list', data: (await this.models.listAskable(principal)).map(toModel) };
  }

  /** GET /v1/models/:model */
  async getModel(slug: string) {
    return toModel(await this.findBySlug(slug));
  }

  /** POST /v1/chat/completions without `stream`: the whole completion. */
  async complete(body: ChatCompletionDto, principal: Principal, signal: AbortSignal) {
    const kb = await this.findBySlug(body.model);
    const created = Math.floor(Date.now() / 1000);
    const result = await collectAnswer(await this.chat.ask(kb, toAskInput(body), principal, signal));
    return completion({ id: '', created, model: kb.slug }, result);
  }

  /**
   * POST /v1/chat/completions with `stream`: the chunks, then `[DONE]` (not after an error); resolves
   * once the answer has started, so failures before it are HTTP errors.
   */
  async completionChunks(
    body: ChatCompletionDto,
    principal: Principal,
    signal: AbortSignal,
  ): Promise<AsyncIterable<OpenAiStreamItem>> {
    const kb = await this.findBySlug(body.model);
    const events = await this.chat.ask(kb, toAskInput(body), principal, signal);
    const meta = { id: '', created: Math.floor(Date.now() / 1000), model: kb.slug };
    return toChunks(events, meta, body.stream_options?.include_usage === true);
  }

  private async findBySlug(slug: string): Promise<KnowledgeBase> {
    const kb = await this.models.findBySlug(slug);
    if (!kb) throw new ModelNotFoundError(slug);
    return kb;
  }
}

/** What a /v1 stream carries: chunk objects, and OpenAI's end marker. */
export type OpenAiStreamItem = object | typeof OPENAI_DONE;
export const OPENAI_DONE = '[DONE]';

/** One stream item as SSE: `data: <json>` (or `data: [DONE]`). */
export function openAiSse(item: OpenAiStreamItem): string {
  return `data: ${item === OPENAI_DONE ? OPENAI_DONE : JSON.stringify(item)}\n\n`;
}

/** A failure thrown mid-stream, in OpenAI's error shape (the SDK raises it as an APIError). */
export function openAiSseError(code: string, message: string): string {
  return openAiSse({ error: { message, type: 'api_error', param: null, code: code.toLowerCase() } });
}

/** The answer events as chunks, with `[DONE]` after a successful answer (not after an error). */
async function* toChunks(
  events: AsyncIterable<AskEvent>,
  meta: CompletionMeta,
  includeUsage: boolean,
): AsyncGenerator<OpenAiStreamItem> {
  let failed = false;
  for await (const event of events) {
    if (event.type === 'error') failed = true;
    yield* chunksFor(event, meta, includeUsage);
  }
  if (!failed) yield OPENAI_DONE;
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
  return {
    ...questionAndHistory(body.messages.map((m) => ({ role: m.role, content: textOf(m) }))),
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
