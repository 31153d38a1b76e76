import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AccessChangesService } from '../auth/access-changes.service';
import { KnowledgeBaseAccess } from '../auth/access.decorators';
import type { AuthenticatedRequest } from '../auth/access.guard';
import { sendEventStream } from '../common/http/server-sent-events';
import { IngestionStreamService } from './ingestion-stream.service';

/** An EventSource reconnects this many milliseconds after the stream ends (lifetime, access change). */
const RECONNECT_AFTER_MS = 3_000;

@ApiTags('documents')
@Controller('api/knowledge-bases')
export class IngestionEventsController {
  constructor(
    private readonly stream: IngestionStreamService,
    private readonly access: AccessChangesService,
  ) {}

  /**
   * Live document status and progress of a knowledge base (text/event-stream). Ends with a `reconnect`
   * event when the caller's access changes, the credential expires or EVENT_STREAM_MAX_SEC passed.
   */
  @Get(':id/events')
  @KnowledgeBaseAccess('read')
  @ApiProduces('text/event-stream')
  events(@Param('id') id: string, @Req() req: AuthenticatedRequest, @Res() res: Response): Promise<void> {
    return sendEventStream(res, this.access.whileAuthorized(req, this.stream.events$(id)), {
      retryMs: RECONNECT_AFTER_MS,
    });
  }
}
