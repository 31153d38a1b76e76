import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { resolveAnswerSettings } from '../chat/answer-settings';
import { collectAnswer } from '../chat/ask-response';
import { questionAndHistory } from '../chat/chat-messages';
import type { AskEvent, AskInput } from '../chat/chat.types';
import { ChatService } from '../chat/chat.service';
import { KnowledgeBaseModelsService } from '../chat/knowledge-base-models.service';
import { detectLanguage } from '../chat/prompts';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import type { OllamaChatDto, OllamaGenerateDto, OllamaOptionsDto } from './dto/ollama-request.dto';
import { OllamaCapabilityError, OllamaModelUnknownError, ollamaModelName, slugOfModelName } from './ollama-model-name';
import {
  AnswerContext,
  completeObject,
  loadReply,
  modelDetails,
  modelDigest,
  OllamaEndpoint,
  streamObjects,
} from './ollama-wire';

/** The Ollama version /api/version reports: the API level whose shapes zhiku speaks (numeric, as clients parse it). */
export const OLLAMA_API_VERSION = '0.12.0';

/** A request to answer, already checked: what to ask, or nothing (Ollama's load/unload reply). */
interface PreparedAsk {
  kb: KnowledgeBase;
  ctx: AnswerContext;
  input: AskInput | null;
  keepAlive: unknown;
}

/**
 * The Ollama-compatible face of question answering: each knowledge base the caller may ask is a model
 * `<slug>:latest`; /api/chat takes the last user message as the question and the earlier ones as the
 * history, /api/generate its prompt. Maps the chat service's answer events to Ollama's objects; the
 * controller writes them (NDJSON or one JSON).
 */
@Injectable()
export class OllamaCompatService {
  constructor(
    private readonly models: KnowledgeBaseModelsService,
    private readonly chat: ChatService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  version() {
    return { version: OLLAMA_API_VERSION };
  }

  /** GET /api/tags: the knowledge bases the caller may ask, in Ollama's model list shape. */
  async tags(principal: Principal) {
    const kbs = await this.models.listAskable(principal);
    const sizes = await this.models.storedBytes(kbs.map((kb) => kb.id));
    return {
      models: kbs.map((kb) => {
        const name = ollamaModelName(kb.slug);
        return {
          name,
          model: name,
          modified_at: kb.updatedAt.toISOString(),
          size: sizes.get(kb.id) ?? 0,
          digest: modelDigest(kb.id, kb.updatedAt),
          details: modelDetails(this.settingsOf(kb).chatModel),
          capabilities: ['completion'],
        };
      }),
    };
  }

  /** GET /api/ps: zhiku keeps no model loaded of its own (Ollama's own /api/ps shows the chat models). */
  runningModels() {
    return { models: [] };
  }

  /** POST /api/show */
  async show(model: string) {
    const kb = await this.knowledgeBase(model);
    const settings = this.settingsOf(kb);
    const name = ollamaModelName(kb.slug);
    return {
      license: '',
      modelfile: `# zhiku knowledge base "${kb.name}": answers from its documents, with citations\nFROM ${settings.chatModel}\n`,
      parameters: `num_ctx ${settings.numCtx}\ntemperature ${settings.temperature}`,
      template: '{{ .Prompt }}',
      system: '',
      details: modelDetails(settings.chatModel),
      model_info: {
        'general.architecture': 'zhiku',
        'general.basename': kb.name,
        'general.description': kb.description ?? '',
        'general.name': name,
        'zhiku.context_length': settings.numCtx,
      },
      capabilities: ['completion'],
      modified_at: kb.updatedAt.toISOString(),
    };
  }

  /** POST /api/chat or /api/generate with `stream: false`: one object. */
  async answer(
    endpoint: OllamaEndpoint,
    body: OllamaChatDto | OllamaGenerateDto,
    principal: Principal,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const ask = await this.prepare(endpoint, body);
    if (!ask.input) return loadReply(endpoint, ask.ctx.model, ask.keepAlive);
    const result = await collectAnswer(await this.chat.ask(ask.kb, ask.input, principal, signal));
    return completeObject(ask.ctx, result);
  }

  /**
   * POST /api/chat or /api/generate streamed: the NDJSON objects, ending with the `done` one. Resolves
   * once the answer has started, so failures before it are HTTP errors in Ollama's shape.
   */
  async answerStream(
    endpoint: OllamaEndpoint,
    body: OllamaChatDto | OllamaGenerateDto,
    principal: Principal,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Record<string, unknown>>> {
    const ask = await this.prepare(endpoint, body);
    if (!ask.input) return oneItem(loadReply(endpoint, ask.ctx.model, ask.keepAlive));
    const events: AsyncIterable<AskEvent> = await this.chat.ask(ask.kb, ask.input, principal, signal);
    return streamObjects(events, ask.ctx);
  }

  private async prepare(endpoint: OllamaEndpoint, body: OllamaChatDto | OllamaGenerateDto): Promise<PreparedAsk> {
    const startedAt = performance.now();
    const kb = await this.knowledgeBase(body.model);
    const model = ollamaModelName(kb.slug);
    refuseUnsupported(model, body);
    const asked =
      endpoint === 'chat' ? chatQuestion(body as OllamaChatDto) : generateQuestion(body as OllamaGenerateDto);
    const input: AskInput | null = asked && { ...asked, ...generationOptions(body.options), source: 'ollama' };
    const ctx: AnswerContext = {
      endpoint,
      model,
      startedAt,
      appendSources: kb.settings?.appendSources === true,
      language: detectLanguage(input?.question ?? ''),
    };
    return { kb, ctx, input, keepAlive: body.keep_alive };
  }

  private async knowledgeBase(model: string): Promise<KnowledgeBase> {
    const slug = slugOfModelName(model);
    const kb = typeof slug === 'string' ? await this.models.findBySlug(slug) : null;
    if (!kb) throw new OllamaModelUnknownError(model);
    return kb;
  }

  private settingsOf(kb: KnowledgeBase) {
    return resolveAnswerSettings(kb.settings, this.config);
  }
}

/** think, format and tools ask for what a knowledge base cannot give: refused as Ollama refuses a model without them. */
function refuseUnsupported(model: string, body: OllamaChatDto | OllamaGenerateDto): void {
  if (body.think !== undefined && body.think !== null && body.think !== false) {
    throw new OllamaCapabilityError(model, 'thinking', 'send "think": false or leave it out');
  }
  const format = body.format;
  if (format !== undefined && format !== null && format !== '' && !isEmptyObject(format)) {
    throw new OllamaCapabilityError(model, 'structured output ("format")', 'answers are text with citations');
  }
  const tools = (body as OllamaChatDto).tools;
  if (Array.isArray(tools) ? tools.length > 0 : tools !== undefined && tools !== null) {
    throw new OllamaCapabilityError(model, 'tools', 'a knowledge base answers from its documents only');
  }
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** The last user message is the question, earlier ones the history; no messages: nothing to ask. */
function chatQuestion(body: OllamaChatDto): Pick<AskInput, 'question' | 'history'> | null {
  const messages = body.messages ?? [];
  if (!messages.length) return null;
  return questionAndHistory(messages.map((m) => ({ role: m.role, content: m.content ?? '' })));
}

function generateQuestion(body: OllamaGenerateDto): Pick<AskInput, 'question' | 'history'> | null {
  if (!body.prompt?.trim()) return null;
  return questionAndHistory([{ role: 'user', content: body.prompt }]);
}

/** temperature, top_p, num_predict (when it limits) and num_ctx go through to Ollama. */
function generationOptions(options: OllamaOptionsDto | undefined): Partial<AskInput> {
  if (!options) return {};
  return {
    temperature: options.temperature,
    topP: options.top_p,
    maxTokens: options.num_predict !== undefined && options.num_predict > 0 ? options.num_predict : undefined,
    numCtx: options.num_ctx,
  };
}

async function* oneItem<T>(item: T): AsyncGenerator<T> {
  yield item;
}
