import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { KnowledgeBasesModule } from '../knowledge-bases/knowledge-bases.module';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { McpController } from './mcp.controller';
import { McpService } from './mcp.service';

/** The MCP server at /mcp: knowledge bases as tools for agents (list, search, ask). */
@Module({
  imports: [KnowledgeBasesModule, RetrievalModule, ChatModule],
  controllers: [McpController],
  providers: [McpService],
})
export class McpModule {}
