import { Body, Controller, Headers, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { KnowledgeBaseAccess } from '../auth/access.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { abortOnDisconnect, sendEventStream } from '../common/http/server-sent-events';
import { askEventsForSse, askResponseBody, askSse, collectAnswer } from './ask-response';
import { ChatService } from './chat.service';
import { AskDto } from './dto/ask.dto';

@ApiTags('ask')
@Controller('api/knowledge-bases')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  /** Answers a question from the knowledge base, with citations; JSON, or SSE with `stream: true` (+ `sentences`). */
  @Post(':id/ask')
  @KnowledgeBaseAccess('read')
  @ApiProduces('application/json', 'text/event-stream')
  async ask(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() { stream, sentences, ...input }: AskDto,
    @Headers('accept') accept: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    if (stream ?? /text\/event-stream/.test(accept ?? '')) {
      await sendEventStream(
        res,
        async (clientLeft) =>
          askEventsForSse(await this.chat.askKnowledgeBase(id, input, principal, clientLeft), sentences),
        { format: askSse },
      );
      return;
    }
    const events = await this.chat.askKnowledgeBase(id, input, principal, abortOnDisconnect(res));
    res.status(200).json(askResponseBody(await collectAnswer(events)));
  }
}
