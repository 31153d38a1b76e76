import { Body, Controller, Get, Head, Header, HttpCode, Post, Res, ValidationPipe } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AllowApiKeys, KnowledgeBaseAccess, KnowledgeBaseAccessOptions } from '../auth/access.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { Public } from '../common/http/public.decorator';
import { abortOnDisconnect, sendEventStream } from '../common/http/server-sent-events';
import { OllamaChatDto, OllamaGenerateDto, OllamaShowDto } from './dto/ollama-request.dto';
import { OllamaCompatService } from './ollama-compat.service';
import { modelNotFound, slugOfModelName } from './ollama-model-name';
import { ndjsonError, ndjsonLine, OllamaEndpoint } from './ollama-wire';

/**
 * Ollama clients send fields zhiku does not use (template, truncate, logprobs…): read the known ones and
 * ignore the rest instead of the global pipe's "property should not exist". Parameters are typed loosely
 * so the global pipe leaves them to this one.
 */
const ollamaBody = <T>(expectedType: new () => T) =>
  new ValidationPipe({ expectedType, whitelist: true, forbidNonWhitelisted: false, transform: true });

/** The knowledge base is the request's `model` (`slug:latest`); an unknown one is Ollama's 404. */
const MODEL_IN_BODY: KnowledgeBaseAccessOptions = {
  from: 'knowledgeBaseSlug',
  body: 'model',
  toRef: slugOfModelName,
  notFound: modelNotFound,
};

/**
 * The Ollama-compatible API: point an Ollama client (Open WebUI, the `ollama` libraries, LangChain's
 * ChatOllama…) at `http://<host>:3000/ollama` with an API key as `Authorization: Bearer zk_…`; the
 * knowledge bases the key may ask are its models. Errors are Ollama's `{"error": "…"}`.
 */
@ApiTags('ollama-compatible')
@Controller('ollama')
export class OllamaCompatController {
  constructor(private readonly ollama: OllamaCompatService) {}

  /** Ollama's health line; needs no key, like /health. */
  @Get()
  @Head()
  @Public()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  running(): string {
    return 'Ollama is running';
  }

  /** Open WebUI's "verify connection" calls this with the key, so it needs one. */
  @Get('api/version')
  @Head('api/version')
  @AllowApiKeys()
  version() {
    return this.ollama.version();
  }

  @Get('api/tags')
  @Head('api/tags')
  @AllowApiKeys()
  tags(@CurrentPrincipal() principal: Principal) {
    return this.ollama.tags(principal);
  }

  @Get('api/ps')
  @AllowApiKeys()
  runningModels() {
    return this.ollama.runningModels();
  }

  @Post('api/show')
  @HttpCode(200)
  @KnowledgeBaseAccess('read', { ...MODEL_IN_BODY, countsAsAsk: false })
  show(@Body(ollamaBody(OllamaShowDto)) body: Record<string, unknown>) {
    return this.ollama.show((body as unknown as OllamaShowDto).model);
  }

  /** A chat over a knowledge base: NDJSON unless `"stream": false`. */
  @Post('api/chat')
  @KnowledgeBaseAccess('read', MODEL_IN_BODY)
  @ApiProduces('application/x-ndjson', 'application/json')
  async chat(
    @Body(ollamaBody(OllamaChatDto)) body: Record<string, unknown>,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    await this.answer('chat', body as unknown as OllamaChatDto, principal, res);
  }

  /** One question (the prompt) to a knowledge base: NDJSON unless `"stream": false`. */
  @Post('api/generate')
  @KnowledgeBaseAccess('read', MODEL_IN_BODY)
  @ApiProduces('application/x-ndjson', 'application/json')
  async generate(
    @Body(ollamaBody(OllamaGenerateDto)) body: Record<string, unknown>,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    await this.answer('generate', body as unknown as OllamaGenerateDto, principal, res);
  }

  private async answer(
    endpoint: OllamaEndpoint,
    body: OllamaChatDto | OllamaGenerateDto,
    principal: Principal,
    res: Response,
  ): Promise<void> {
    if (body.stream === false) {
      res.status(200).json(await this.ollama.answer(endpoint, body, principal, abortOnDisconnect(res)));
      return;
    }
    await sendEventStream(res, (clientLeft) => this.ollama.answerStream(endpoint, body, principal, clientLeft), {
      wire: 'ndjson',
      format: ndjsonLine,
      onError: ndjsonError,
    });
  }
}
