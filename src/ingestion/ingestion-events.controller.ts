import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { KnowledgeBaseAccess } from '../auth/access.decorators';
import { IngestionStreamService } from './ingestion-stream.service';

@ApiTags('documents')
@Controller('api/knowledge-bases')
export class IngestionEventsController {
  constructor(private readonly stream: IngestionStreamService) {}

  /** Live document status and progress of a knowledge base (text/event-stream). */
  @Get(':id/events')
  @KnowledgeBaseAccess('read')
  @ApiProduces('text/event-stream')
  events(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.stream.stream(id, req, res);
  }
}
