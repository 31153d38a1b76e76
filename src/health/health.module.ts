import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthDetailsController } from './health-details.controller';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

/** `/health` and `/health/live`, public, in every role. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [HealthService],
  exports: [HealthService],
})
export class HealthModule {}

/** `/health/details`, for signed-in users: API role only, where the accounts guard runs. */
@Module({
  imports: [HealthModule],
  controllers: [HealthDetailsController],
})
export class HealthDetailsModule {}
