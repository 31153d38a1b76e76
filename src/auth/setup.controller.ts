import { Body, Controller, Get, Ip, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/http/public.decorator';
import { AuthService } from './auth.service';
import { CredentialsDto } from './dto/login.dto';
import { Session } from './token.service';
import { UsersService } from './users.service';

/** First run without ADMIN_EMAIL/ADMIN_PASSWORD: the UI asks for the first administrator. */
@ApiTags('accounts')
@Controller('api/setup')
export class SetupController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Whether the first administrator still has to be created' })
  async status(): Promise<{ required: boolean }> {
    return { required: await this.users.setupRequired() };
  }

  @Post()
  @Public()
  @ApiOperation({ summary: 'Create the first administrator (only while no user exists; then 409) and sign in' })
  setup(@Body() body: CredentialsDto, @Ip() ip: string): Promise<Session> {
    return this.auth.setup(body.email, body.password, ip);
  }
}
