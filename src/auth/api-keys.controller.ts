import { Body, Controller, Delete, Get, HttpCode, Ip, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeysService, ApiKeyView } from './api-keys.service';
import { CreateApiKeyDto } from './dto/api-key.dto';
import { CurrentPrincipal, Principal } from './principal';

@ApiTags('accounts')
@Controller('api/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: 'Your API keys (an admin sees everyone’s); never the secrets' })
  async list(@CurrentPrincipal() principal: Principal): Promise<{ items: ApiKeyView[]; total: number }> {
    const items = await this.keys.list(principal);
    return { items, total: items.length };
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key; the response carries the secret `zk_…` once' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto, @Ip() ip: string) {
    return this.keys.create(principal, body, ip);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key (yours, or any as admin)' })
  revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Ip() ip: string): Promise<void> {
    return this.keys.revoke(principal, id, ip);
  }
}
