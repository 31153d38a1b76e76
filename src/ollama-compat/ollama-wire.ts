import { createHash } from 'node:crypto';
import type { AskEvent, AskResult, Citation } from '../chat/chat.types';
import { AnswerLanguage, sourceHeading } from '../chat/prompts';

/**
 * Ollama's wire shapes for zhiku's answers (docs/api.md of ollama/ollama): NDJSON chunks, the final
 * `done` object with its counts and nanosecond durations, tags and show entries. Pure functions, so the
 * mapping is unit-tested without HTTP.
 */

/** Which endpoint the answer goes out through: /api/chat has `message`, /api/generate `response`. */
export type OllamaEndpoint = 'chat' | 'generate';

export interface AnswerContext {
  endpoint: OllamaEndpoint;
  /** The model name echoed in every object, e.g. `r-manuals:latest`. */
  model: string;
  /** performance.now() when the request arrived (for total_duration). */
  startedAt: number;
  /** Append a "Sources" list to the text (the knowledge base's `appendSources`). */
  appendSources: boolean;
  language: AnswerLanguage;
}

/** A text piece in the endpoint's shape, `done: false`. */
export function pieceChunk(ctx: AnswerContext, content: string): Record<string, unknown> {
  return { model: ctx.model, created_at: new Date().toISOString(), ...body(ctx.endpoint, content), done: false };
}

/**
 * The last object: `done: true`, `done_reason`, counts and durations (left out when zero, as Ollama's
 * omitempty fields are), and the citations that plain clients ignore. `content` is the whole answer in
 * the non-streamed form and empty at the end of a stream.
 */
export function finalObject(ctx: AnswerContext, result: AskResult, content: string): Record<string, unknown> {
  const totalNs = Math.round((performance.now() - ctx.startedAt) * 1e6);
  // Until the first token: searching and Ollama reading the prompt; after it: writing the answer.
  const firstTokenNs = result.timings.firstTokenMs === null ? null : Math.round(result.timings.firstTokenMs * 1e6);
  const metrics: Record<string, number> = {
    total_duration: totalNs,
    prompt_eval_count: result.usage.promptTokens ?? 0,
    prompt_eval_duration: firstTokenNs ?? 0,
    eval_count: result.usage.completionTokens ?? 0,
    eval_duration: firstTokenNs === null ? 0 : Math.max(0, totalNs - firstTokenNs),
  };
  return {
    model: ctx.model,
    created_at: new Date().toISOString(),
    ...body(ctx.endpoint, content),
    done: true,
    done_reason: result.finishReason === 'length' ? 'length' : 'stop',
    ...Object.fromEntries(Object.entries(metrics).filter(([, value]) => value > 0)),
    citations: result.citations,
    conversation_id: result.conversationId,
  };
}

/** Ollama's reply to a request with nothing to ask (an empty prompt or no messages): load or unload. */
export function loadReply(endpoint: OllamaEndpoint, model: string, keepAlive: unknown): Record<string, unknown> {
  const unload = keepAlive === 0 || keepAlive === '0' || keepAlive === '0s';
  return {
    model,
    created_at: new Date().toISOString(),
    ...body(endpoint, ''),
    done: true,
    done_reason: unload ? 'unload' : 'load',
  };
}

/**
 * The answer events as Ollama's NDJSON objects: one per text piece (the `sources` event has no Ollama
 * form), the Sources list as one more piece when asked for, then the final object; an `error` event
 * becomes Ollama's mid-stream `{"error": …}` line.
 */
export async function* streamObjects(
  events: AsyncIterable<AskEvent>,
  ctx: AnswerContext,
): AsyncGenerator<Record<string, unknown>> {
  for await (const event of events) {
    if (event.type === 'delta') yield pieceChunk(ctx, event.content);
    else if (event.type === 'error') yield { error: event.message };
    else if (event.type === 'done') {
      const sources = ctx.appendSources ? sourcesList(event.result.citations, ctx.language) : '';
      if (sources) yield pieceChunk(ctx, sources);
      yield finalObject(ctx, event.result, '');
    }
  }
}

/** The whole answer as one object (`stream: false`). */
export function completeObject(ctx: AnswerContext, result: AskResult): Record<string, unknown> {
  const sources = ctx.appendSources ? sourcesList(result.citations, ctx.language) : '';
  return finalObject(ctx, result, result.answer + sources);
}

/**
 * The short list appended for clients that show only text: the cited sources, one a line
 * ("\n\nSources:\n[1] R-intro.pdf, page 12 — Output"); empty when nothing was cited.
 */
export function sourcesList(citations: Citation[], language: AnswerLanguage): string {
  if (!citations.length) return '';
  const lines = citations.map((c) => sourceHeading(c, language));
  return `\n\n${language === 'zh' ? '来源：' : 'Sources:'}\n${lines.join('\n')}`;
}

/** One NDJSON line. */
export function ndjsonLine(item: unknown): string {
  return `${JSON.stringify(item)}\n`;
}

/** A failure thrown mid-stream, as Ollama reports one: a last `{"error": …}` line. */
export function ndjsonError(_code: string, message: string): string {
  return ndjsonLine({ error: message });
}

/** A stable 64-hex digest that changes when the knowledge base does (Ollama's `digest` has no prefix). */
export function modelDigest(id: string, updatedAt: Date): string {
  return createHash('sha256').update(`${id}:${updatedAt.toISOString()}`).digest('hex');
}

/** Ollama's `details` of a model: a knowledge base answers through its chat model (`parent_model`). */
export function modelDetails(chatModel: string) {
  return {
    parent_model: chatModel,
    format: 'zhiku',
    family: 'zhiku',
    families: ['zhiku'],
    parameter_size: '',
    quantization_level: '',
  };
}

function body(endpoint: OllamaEndpoint, content: string) {
  return endpoint === 'chat' ? { message: { role: 'assistant', content } } : { response: content };
}
