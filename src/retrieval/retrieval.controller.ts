import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { KnowledgeBaseAccess } from '../auth/access.decorators';
import { SearchDto } from './dto/search.dto';
import { RetrievalService } from './retrieval.service';

@ApiTags('search')
@Controller('api/knowledge-bases')
export class RetrievalController {
  constructor(private readonly retrieval: RetrievalService) {}

  /** Hybrid (vector + keyword), vector or keyword search over a knowledge base's ready documents. */
  @Post(':id/search')
  @HttpCode(200)
  @KnowledgeBaseAccess('read')
  search(@Param('id', ParseUUIDPipe) id: string, @Body() dto: SearchDto) {
    return this.retrieval.searchKnowledgeBase(id, dto);
  }
}
