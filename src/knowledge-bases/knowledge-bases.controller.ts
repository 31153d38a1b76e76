import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AllowApiKeys, KnowledgeBaseAccess } from '../auth/access.decorators';
import { AccessService } from '../auth/access.service';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { CreateKnowledgeBaseDto } from './dto/create-knowledge-base.dto';
import { UpdateKnowledgeBaseDto } from './dto/update-knowledge-base.dto';
import { KnowledgeBaseDeletion, KnowledgeBasesService, KnowledgeBaseView } from './knowledge-bases.service';

/** `:id` is a knowledge base's id or its slug. */
@ApiTags('knowledge-bases')
@Controller('api/knowledge-bases')
export class KnowledgeBasesController {
  constructor(
    private readonly knowledgeBases: KnowledgeBasesService,
    private readonly access: AccessService,
  ) {}

  @Post()
  create(@Body() dto: CreateKnowledgeBaseDto, @CurrentPrincipal() principal: Principal): Promise<KnowledgeBaseView> {
    return this.knowledgeBases.create(dto, principal);
  }

  /** Only the knowledge bases the caller may see (admins: all; members: owned or shared; keys: theirs). */
  @Get()
  @AllowApiKeys()
  async list(@CurrentPrincipal() principal: Principal): Promise<KnowledgeBaseView[]> {
    const visible = await this.access.accessibleKnowledgeBaseIds(principal);
    return this.knowledgeBases.list(visible === 'all' ? undefined : visible);
  }

  @Get(':id')
  @KnowledgeBaseAccess('read')
  get(@Param('id') id: string): Promise<KnowledgeBaseView> {
    return this.knowledgeBases.get(id);
  }

  @Patch(':id')
  @KnowledgeBaseAccess('write')
  update(@Param('id') id: string, @Body() dto: UpdateKnowledgeBaseDto): Promise<KnowledgeBaseView> {
    return this.knowledgeBases.update(id, dto);
  }

  /** 202: gone at once for everyone; its documents, chunks and files are removed in the background. */
  @Delete(':id')
  @HttpCode(202)
  @KnowledgeBaseAccess('manage')
  remove(@Param('id') id: string): Promise<KnowledgeBaseDeletion> {
    return this.knowledgeBases.remove(id);
  }
}
