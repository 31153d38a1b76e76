import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { Conversation } from './conversation.entity';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { KnowledgeBaseModelsService } from './knowledge-base-models.service';
import { Message } from './message.entity';
import { OpenAiCompatController } from './openai/openai-compat.controller';
import { OpenAiCompatService } from './openai/openai-compat.service';

/**
 * Grounded answers with citations over REST (JSON and SSE) and the OpenAI-compatible /v1 API; exports the
 * chat service and knowledge bases as models for the other doors (/ollama).
 */
@Module({
  imports: [TypeOrmModule.forFeature([Conversation, Message, KnowledgeBase]), RetrievalModule],
  controllers: [ChatController, ConversationsController, OpenAiCompatController],
  providers: [ChatService, ConversationsService, OpenAiCompatService, KnowledgeBaseModelsService],
  exports: [ChatService, KnowledgeBaseModelsService],
})
export class ChatModule {}
