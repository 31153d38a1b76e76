import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult } from '@nestjs/terminus';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { HealthService } from './health.service';

/** Part of the API role only: it needs the accounts guard, which a worker does not run. */
@ApiTags('health')
@Controller('health')
export class HealthDetailsController {
  constructor(private readonly health: HealthService) {}

  @Get('details')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Health with details (signed-in users): the configured models and what is wrong; administrators also see the Ollama URL, its version and the fix',
  })
  details(@CurrentPrincipal() principal: Principal): Promise<HealthCheckResult> {
    return this.health.check(principal.role === 'admin' ? 'admin' : 'member');
  }
}
