import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { KnowledgeBaseAccess } from '../auth/access.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { ConversationsService } from './conversations.service';

@ApiTags('conversations')
@Controller('api')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  /** The caller's conversations in a knowledge base, newest first. */
  @Get('knowledge-bases/:id/conversations')
  @KnowledgeBaseAccess('read')
  list(@Param('id', ParseUUIDPipe) id: string, @CurrentPrincipal() principal: Principal) {
    return this.conversations.listForKnowledgeBase(id, principal);
  }

  /** A conversation with its messages and their citations. */
  @Get('conversations/:id')
  @KnowledgeBaseAccess('read', { from: 'conversation' })
  get(@Param('id', ParseUUIDPipe) id: string, @CurrentPrincipal() principal: Principal) {
    return this.conversations.getWithMessages(id, principal);
  }

  /** How an answer was made: queries, each search leg's candidates, the fused order, the budget, timings. */
  @Get('conversations/:id/messages/:mid/trace')
  @KnowledgeBaseAccess('read', { from: 'conversation' })
  trace(
    @Param('id', ParseUUIDPipe) id: string,
    @Param('mid', ParseUUIDPipe) messageId: string,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.conversations.getTrace(id, messageId, principal);
  }

  @Delete('conversations/:id')
  @HttpCode(204)
  @KnowledgeBaseAccess('read', { from: 'conversation' })
  async delete(@Param('id', ParseUUIDPipe) id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.conversations.delete(id, principal);
  }
}
