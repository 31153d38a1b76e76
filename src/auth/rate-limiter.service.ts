import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export interface WindowCount {
  count: number;
  /** Seconds until the window resets. */
  resetInSec: number;
}

/** One counter of attempts: `attempts` are allowed within `windowSec` (counted from the first). */
export interface AttemptLimit {
  key: string;
  attempts: number;
  windowSec: number;
}

/**
 * How long a key that used up its attempts is refused: `firstBlockSec`, doubling with each further block
 * up to `maxBlockSec`. Blocks are remembered for `rememberSec` after the last one.
 */
export interface BlockPolicy {
  firstBlockSec: number;
  maxBlockSec: number;
  rememberSec: number;
}

export type AttemptDecision = { allowed: true } | { allowed: false; retryAfterSec: number };

/**
 * Counts an attempt against every limit, atomically and before the attempt is evaluated, so concurrent
 * attempts cannot all slip through. KEYS: count, block, blocks-so-far for each limit; ARGV: attempts and
 * window (ms) for each limit, then first block, longest block and memory (ms). Returns {1, 0} when allowed,
 * {0, wait ms} when refused. A refused attempt is not counted; the limit it used up starts a block.
 */
const CONSUME_SCRIPT = `
local n = #KEYS / 3
local first, longest, memory = tonumber(ARGV[2 * n + 1]), tonumber(ARGV[2 * n + 2]), tonumber(ARGV[2 * n + 3])
local wait = 0
for i = 0, n - 1 do
  wait = math.max(wait, redis.call('PTTL', KEYS[3 * i + 2]))
end
if wait > 0 then return {0, wait} end
local counts = {}
local over = false
for i = 0, n - 1 do
  counts[i] = redis.call('INCR', KEYS[3 * i + 1])
  if counts[i] == 1 then redis.call('PEXPIRE', KEYS[3 * i + 1], ARGV[2 * i + 2]) end
  if counts[i] > tonumber(ARGV[2 * i + 1]) then over = true end
end
if not over then return {1, 0} end
for i = 0, n - 1 do
  if counts[i] > tonumber(ARGV[2 * i + 1]) then
    local blocks = redis.call('INCR', KEYS[3 * i + 3])
    redis.call('PEXPIRE', KEYS[3 * i + 3], memory)
    local ms = math.min(first * 2 ^ (blocks - 1), longest)
    redis.call('SET', KEYS[3 * i + 2], blocks, 'PX', math.floor(ms))
    redis.call('DEL', KEYS[3 * i + 1])
    wait = math.max(wait, ms)
  else
    redis.call('DECR', KEYS[3 * i + 1])
  end
end
return {0, math.floor(wait)}
`;

type LimiterRedis = Redis & {
  consumeAttempts(...keysAndArgs: (string | number)[]): Promise<[number, number]>;
};

/**
 * Counters in Redis, so limits hold across API replicas. Keys live under the deployment's QUEUE_PREFIX.
 * If Redis does not answer, limits are skipped (logged) rather than locking everyone out: Redis being
 * down is already reported by /health.
 */
@Injectable()
export class RateLimiterService implements OnModuleDestroy {
  private readonly logger = new Logger(RateLimiterService.name);
  private readonly redis: LimiterRedis;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.redis = new Redis(config.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 3_000,
    }) as LimiterRedis;
    this.redis.defineCommand('consumeAttempts', { lua: CONSUME_SCRIPT });
    this.redis.on('error', () => undefined);
    this.prefix = `${config.queuePrefix}:limits:`;
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

  /**
   * Counts one attempt against every limit, before it is evaluated: refused while any limit's key is
   * blocked, or when this attempt would exceed one (which then blocks that key, longer each time).
   */
  async consume(limits: AttemptLimit[], policy: BlockPolicy): Promise<AttemptDecision> {
    const keys = limits.flatMap(({ key }) => ['n', 'block', 'blocks'].map((part) => `${this.prefix}${key}:${part}`));
    const args = [
      ...limits.flatMap((l) => [l.attempts, l.windowSec * 1000]),
      policy.firstBlockSec * 1000,
      policy.maxBlockSec * 1000,
      policy.rememberSec * 1000,
    ];
    try {
      const [allowed, waitMs] = await this.redis.consumeAttempts(keys.length, ...keys, ...args);
      return allowed ? { allowed: true } : { allowed: false, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) };
    } catch (err) {
      this.warn(err);
      return { allowed: true };
    }
  }

  /** Gives back an attempt that turned out fine (it no longer counts against the limit). */
  async refund(key: string): Promise<void> {
    const k = `${this.prefix}${key}:n`;
    try {
      // DECR only an existing counter, and never below zero.
      await this.redis.eval(
        `if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end return 0`,
        1,
        k,
      );
    } catch (err) {
      this.warn(err);
    }
  }

  /** Forgets a key's attempts and earlier blocks (e.g. after a successful sign-in from there). */
  async forget(key: string): Promise<void> {
    try {
      await this.redis.del(`${this.prefix}${key}:n`, `${this.prefix}${key}:blocks`);
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
