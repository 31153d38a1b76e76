import { Body, Controller, Get, HttpCode, Ip, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/http/public.decorator';
import { AuthService } from './auth.service';
import { TooManyRequestsError } from './auth-errors';
import { ChangePasswordDto, LoginDto } from './dto/login.dto';
import { CurrentPrincipal, Principal } from './principal';
import { Session } from './token.service';

@ApiTags('accounts')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in: {accessToken, expiresIn, user}. 5 failed attempts a minute per IP and per email, then 429',
  })
  async login(@Body() body: LoginDto, @Ip() ip: string, @Res({ passthrough: true }) res: Response): Promise<Session> {
    try {
      return await this.auth.login(body.email, body.password, ip);
    } catch (err) {
      if (err instanceof TooManyRequestsError) res.setHeader('Retry-After', String(err.retryAfterSec));
      throw err;
    }
  }

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user' })
  me(@CurrentPrincipal() principal: Principal) {
    return this.auth.me(principal);
  }

  @Post('password')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change your password; every earlier token stops working and a fresh session is returned' })
  changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
    @Ip() ip: string,
  ): Promise<Session> {
    return this.auth.changePassword(principal, body.currentPassword, body.newPassword, ip);
  }
}
