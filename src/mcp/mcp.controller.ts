import { Body, Controller, Delete, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AllowApiKeys } from '../auth/access.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { DomainError } from '../common/errors/domain-error';
import { abortOnDisconnect } from '../common/http/server-sent-events';
import { McpService } from './mcp.service';

/**
 * The Model Context Protocol door (Streamable HTTP, stateless): agents such as Claude Desktop or Cursor
 * call the tools list_knowledge_bases, search and ask with `Authorization: Bearer zk_…`. The accounts guard
 * authenticates every request; each tool checks the caller's knowledge bases and scopes.
 */
@ApiTags('mcp')
@Controller('mcp')
export class McpController {
  constructor(private readonly mcp: McpService) {}

  /** JSON-RPC messages of the MCP client (initialize, tools/list, tools/call…). */
  @Post()
  @AllowApiKeys()
  @ApiOperation({ summary: 'MCP over Streamable HTTP (JSON-RPC); use an MCP client' })
  async handle(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const transport = await this.mcp.connect(principal, abortOnDisconnect(res));
    res.on('close', () => void transport.close());
    await transport.handleRequest(req, res, body);
  }

  /** Stateless: no server-to-client stream to open; clients expect a 405 and carry on with POST. */
  @Get()
  @AllowApiKeys()
  @ApiExcludeEndpoint()
  openStream(): never {
    throw statelessOnly();
  }

  /** Stateless: there is no session to end. */
  @Delete()
  @AllowApiKeys()
  @ApiExcludeEndpoint()
  endSession(): never {
    throw statelessOnly();
  }
}

function statelessOnly(): DomainError {
  return new DomainError(
    'METHOD_NOT_ALLOWED',
    'The MCP server is stateless: send JSON-RPC messages with POST /mcp',
    405,
  );
}
