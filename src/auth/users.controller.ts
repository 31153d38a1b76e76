import { Body, Controller, Delete, Get, HttpCode, Ip, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from './access.decorators';
import { AuditService } from './audit.service';
import { CreateUserDto, UpdateUserDto } from './dto/user.dto';
import { CurrentPrincipal, Principal } from './principal';
import { toUserView, UserView } from './user.entity';
import { UsersService } from './users.service';

@ApiTags('accounts')
@AdminOnly()
@Controller('api/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every user (admin)' })
  async list(): Promise<{ items: UserView[]; total: number }> {
    const items = await this.users.list();
    return { items, total: items.length };
  }

  @Post()
  @ApiOperation({ summary: 'Create a user (admin)' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateUserDto,
    @Ip() ip: string,
  ): Promise<UserView> {
    const user = await this.users.create(body.email, body.password, body.role);
    await this.audit.record(
      principal,
      'user.create',
      { type: 'user', id: user.id },
      { email: user.email, role: user.role },
      { ip },
    );
    return toUserView(user);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a user’s email, role or password (admin); a new password ends their sessions' })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: UpdateUserDto,
    @Ip() ip: string,
  ): Promise<UserView> {
    const user = await this.users.update(id, body, principal.userId);
    const changed = Object.keys(body).filter((k) => body[k as keyof UpdateUserDto] !== undefined);
    await this.audit.record(
      principal,
      'user.update',
      { type: 'user', id: user.id },
      { changed, role: body.role },
      { ip },
    );
    return toUserView(user);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user and their API keys (admin); their knowledge bases stay, owned by nobody' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Ip() ip: string): Promise<void> {
    const user = await this.users.remove(id, principal.userId);
    await this.audit.record(principal, 'user.delete', { type: 'user', id: user.id }, { email: user.email }, { ip });
  }
}
