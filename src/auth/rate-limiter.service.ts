import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export interface WindowCount {
  count: number;
  /** Seconds until the window resets. */
  resetInSec: number;
}

/**
 * Fixed-window counters in Redis, so limits hold across API replicas. Keys live under the
 * deployment's QUEUE_PREFIX. If Redis does not answer, limits are skipped (logged) rather than
 * locking everyone out: Redis being down is already reported by /health.
 */
@Injectable()
export class RateLimiterService implements OnModuleDestroy {
  private readonly logger = new Logger(RateLimiterService.name);
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
    this.redis.on('error', () => undefined);
    this.prefix = `${config.queuePrefix}:limits:`;
  }

  /** The current count of a window without adding to it. */
  async peek(key: string): Promise<WindowCount> {
    try {
      const [count, ttl] = await Promise.all([this.redis.get(this.prefix + key), this.redis.pttl(this.prefix + key)]);
      return { count: Number(count ?? 0), resetInSec: ttl > 0 ? Math.ceil(ttl / 1000) : 0 };
    } catch (err) {
      this.warn(err);
      return { count: 0, resetInSec: 0 };
    }
  }

  /** Adds one to the window (started by the first hit, `windowSec` long) and returns the new count. */
  async hit(key: string, windowSec: number): Promise<WindowCount> {
    const k = this.prefix + key;
    try {
      const result = await this.redis.multi().set(k, 0, 'EX', windowSec, 'NX').incr(k).pttl(k).exec();
      const count = Number(result?.[1]?.[1] ?? 0);
      const ttl = Number(result?.[2]?.[1] ?? 0);
      return { count, resetInSec: ttl > 0 ? Math.ceil(ttl / 1000) : windowSec };
    } catch (err) {
      this.warn(err);
      return { count: 0, resetInSec: 0 };
    }
  }

  async reset(key: string): Promise<void> {
    try {
      await this.redis.del(this.prefix + key);
    } catch (err) {
      this.warn(err);
    }
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }

  private warn(err: unknown): void {
    this.logger.warn(`rate limits skipped, Redis did not answer: ${(err as Error).message}`);
  }
}
