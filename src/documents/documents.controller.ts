import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  StreamableFile,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { KnowledgeBaseAccess } from '../auth/access.decorators';
import { attachmentDisposition } from './content-disposition';
import { ChunkView, DocumentsService, DocumentView, Page, UploadedDocument } from './documents.service';
import { ListDocumentsQuery, PageQuery } from './dto/list-documents.query';
import { DocumentUploadInterceptor } from './upload/document-upload.interceptor';
import { StoredUpload } from './upload/hashing-disk-storage';

@ApiTags('documents')
@Controller('api')
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  /** Upload 1..50 files (PDF, DOCX, Markdown, text) in the multipart field "files"; they are processed in the background. */
  @Post('knowledge-bases/:id/documents')
  @HttpCode(202)
  @KnowledgeBaseAccess('write')
  @UseInterceptors(DocumentUploadInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: { type: 'object', properties: { files: { type: 'array', items: { type: 'string', format: 'binary' } } } },
  })
  upload(
    @Param('id') knowledgeBaseId: string,
    @UploadedFiles() files: StoredUpload[] | undefined,
  ): Promise<{ documents: UploadedDocument[] }> {
    return this.documents.upload(knowledgeBaseId, files);
  }

  @Get('knowledge-bases/:id/documents')
  @KnowledgeBaseAccess('read')
  list(@Param('id') knowledgeBaseId: string, @Query() query: ListDocumentsQuery): Promise<Page<DocumentView>> {
    return this.documents.list(knowledgeBaseId, query);
  }

  @Get('documents/:id')
  @KnowledgeBaseAccess('read', { from: 'document' })
  get(@Param('id') id: string): Promise<DocumentView> {
    return this.documents.get(id);
  }

  /** The original bytes as uploaded; `?copy=searchable`: the PDF with OCR's text layer, when the file was a scan or an image. */
  @Get('documents/:id/file')
  @KnowledgeBaseAccess('read', { from: 'document' })
  async download(
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
    @Query('copy') copy?: string,
  ): Promise<StreamableFile> {
    const original = await this.documents.openOriginal(id, copy === 'searchable');
    res.setHeader('Content-Disposition', attachmentDisposition(original.filename));
    return new StreamableFile(original.stream, { type: original.mimeType, length: original.sizeBytes });
  }

  @Get('documents/:id/chunks')
  @KnowledgeBaseAccess('read', { from: 'document' })
  chunks(@Param('id') id: string, @Query() query: PageQuery): Promise<Page<ChunkView>> {
    return this.documents.listChunks(id, query);
  }

  @Post('documents/:id/reindex')
  @HttpCode(202)
  @KnowledgeBaseAccess('write', { from: 'document' })
  reindex(@Param('id') id: string): Promise<DocumentView> {
    return this.documents.reindex(id);
  }

  @Delete('documents/:id')
  @HttpCode(204)
  @KnowledgeBaseAccess('write', { from: 'document' })
  remove(@Param('id') id: string): Promise<void> {
    return this.documents.remove(id);
  }
}
