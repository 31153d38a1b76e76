import { Body, Controller, Param, Patch } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { KnowledgeBaseAccess } from '../auth/access.decorators';
import { ChunkView, DocumentsService } from './documents.service';
import { UpdateChunkDto } from './dto/update-chunk.dto';

@ApiTags('documents')
@Controller('api/chunks')
export class ChunksController {
  constructor(private readonly documents: DocumentsService) {}

  /** Edit a chunk's text (embedded again) or switch it off for retrieval. */
  @Patch(':id')
  @KnowledgeBaseAccess('write', { from: 'chunk' })
  update(@Param('id') id: string, @Body() dto: UpdateChunkDto): Promise<ChunkView> {
    return this.documents.updateChunk(id, dto);
  }
}
