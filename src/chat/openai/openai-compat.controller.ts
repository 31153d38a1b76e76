import { Body, Controller, Get, Param, Post, Res, ValidationPipe } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AllowApiKeys, KnowledgeBaseAccess } from '../../auth/access.decorators';
import { CurrentPrincipal, Principal } from '../../auth/principal';
import { abortOnDisconnect, sendEventStream } from '../../common/http/server-sent-events';
import { ChatCompletionDto } from '../dto/chat-completion.dto';
import { OpenAiCompatService, openAiSse, openAiSseError } from './openai-compat.service';

/**
 * OpenAI clients send fields zhiku does not use (n, user, seed…): read the known ones, ignore the rest
 * instead of the global pipe's "property should not exist". The parameter is typed loosely so the global
 * pipe leaves it to this one.
 */
const completionBody = new ValidationPipe({
  expectedType: ChatCompletionDto,
  whitelist: true,
  forbidNonWhitelisted: false,
  transform: true,
});

@ApiTags('openai-compatible')
@Controller('v1')
export class OpenAiCompatController {
  constructor(private readonly openAi: OpenAiCompatService) {}

  /** Every knowledge base the caller may ask, as a model (id: its slug). */
  @Get('models')
  @AllowApiKeys()
  listModels(@CurrentPrincipal() principal: Principal) {
    return this.openAi.listModels(principal);
  }

  @Get('models/:model')
  @KnowledgeBaseAccess('read', { from: 'knowledgeBaseSlug', param: 'model' })
  getModel(@Param('model') model: string) {
    return this.openAi.getModel(model);
  }

  /** Chat completions over a knowledge base (model = its slug), streamed or not, with citations. */
  @Post('chat/completions')
  @KnowledgeBaseAccess('read', { from: 'knowledgeBaseSlug', body: 'model' })
  async complete(
    @Body(completionBody) body: Record<string, unknown>,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    const completion = body as unknown as ChatCompletionDto;
    if (completion.stream) {
      await sendEventStream(res, (clientLeft) => this.openAi.completionChunks(completion, principal, clientLeft), {
        format: openAiSse,
        onError: openAiSseError,
      });
      return;
    }
    res.status(200).json(await this.openAi.complete(completion, principal, abortOnDisconnect(res)));
  }
}
