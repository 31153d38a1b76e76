import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult } from '@nestjs/terminus';
import { Public } from '../common/http/public.decorator';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Public()
  @HealthCheck()
  @ApiOperation({
    summary: 'Database, Redis and Ollama: each up or down (no details without signing in); 503 when any is down',
  })
  check(): Promise<HealthCheckResult> {
    return this.health.check('public');
  }

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process answers (used by container health checks)' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
