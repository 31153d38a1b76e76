import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { KnowledgeBaseAccess, ResolvedKnowledgeBaseId } from './access.decorators';
import { AddMemberDto } from './dto/member.dto';
import { MemberView } from './knowledge-base-member.repository';
import { MembersService } from './members.service';

/** Owners and admins decide who else may read or write a knowledge base. */
@ApiTags('accounts')
@Controller('api/knowledge-bases/:id/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @KnowledgeBaseAccess('manage')
  @ApiOperation({ summary: 'Members of a knowledge base (owner or admin)' })
  async list(@ResolvedKnowledgeBaseId() id: string): Promise<{ items: MemberView[]; total: number }> {
    const items = await this.members.list(id);
    return { items, total: items.length };
  }

  @Post()
  @KnowledgeBaseAccess('manage')
  @ApiOperation({ summary: 'Give a user read or write on a knowledge base (owner or admin)' })
  grant(@ResolvedKnowledgeBaseId() id: string, @Body() body: AddMemberDto): Promise<MemberView> {
    return this.members.grant(id, body, body.permission);
  }

  @Delete(':userId')
  @HttpCode(204)
  @KnowledgeBaseAccess('manage')
  @ApiOperation({ summary: 'Take a user’s access away (owner or admin)' })
  revoke(@ResolvedKnowledgeBaseId() id: string, @Param('userId') userId: string): Promise<void> {
    return this.members.revoke(id, userId);
  }
}
