import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ForbiddenError, TooManyRequestsError } from './auth-errors';
import { Principal } from './principal';
import { RateLimiterService } from './rate-limiter.service';

/**
 * Questions and searches made with an API key: they need the `ask` scope and are counted against
 * API_KEY_ASK_LIMIT_PER_MIN (they are what costs, in Ollama time). Signed-in users are not counted.
 * Used by the accounts guard for REST and /v1, and by doors that carry many calls in one route (MCP).
 */
@Injectable()
export class AskQuotaService {
  constructor(
    private readonly limiter: RateLimiterService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Throws INSUFFICIENT_SCOPE (403) or RATE_LIMITED (429, with the seconds to wait) when the ask may not go on. */
  async count(principal: Principal): Promise<void> {
    if (principal.kind !== 'apiKey') return;
    if (!principal.scopes?.includes('ask')) {
      throw new ForbiddenError('This API key lacks the "ask" scope', 'INSUFFICIENT_SCOPE');
    }
    const limit = this.config.apiKeyAskLimitPerMin;
    const window = await this.limiter.hit(`asks:${principal.apiKeyId}`, 60);
    if (window.count > limit) {
      throw new TooManyRequestsError(
        'RATE_LIMITED',
        `This API key may ask ${limit} questions a minute; try again in ${window.resetInSec} seconds`,
        window.resetInSec,
      );
    }
  }
}
