import { Body, Controller, Get, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AdminOnly } from '../auth/access.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { sendEventStream } from '../common/http/server-sent-events';
import { PullModelDto } from './dto/pull-model.dto';
import { ModelList, ModelsService } from './models.service';

@ApiTags('models')
@Controller('api/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOperation({
    summary: "Ollama's installed models (any signed-in user) and its URL (administrators); 503 when unreachable",
  })
  list(@CurrentPrincipal() principal: Principal): Promise<ModelList> {
    return this.models.list(principal);
  }

  /** Progress as text/event-stream: `progress` events, then `done` or `error` ({code, message}). */
  @Post('pull')
  @AdminOnly()
  @ApiOperation({ summary: 'Pull a model into Ollama (admin), relaying its progress as server-sent events' })
  @ApiProduces('text/event-stream')
  async pull(@Body() { name }: PullModelDto, @Res() res: Response): Promise<void> {
    await sendEventStream(res, (clientLeft) => this.models.startPull(name, clientLeft));
  }
}
