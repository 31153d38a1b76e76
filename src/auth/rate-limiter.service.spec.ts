import { randomUUID } from 'node:crypto';
import { deleteRedisKeys } from '../../test/support/test-app';
import { AppConfig } from '../config/app-config';
import { AttemptLimit, BlockPolicy, RateLimiterService } from './rate-limiter.service';

/** Against the real Redis, under a prefix of its own. */
describe('RateLimiterService.consume', () => {
  const config = {
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: `zhiku-test-limits-${randomUUID().slice(0, 8)}`,
  } as AppConfig;
  const limiter = new RateLimiterService(config);
  const policy: BlockPolicy = { firstBlockSec: 1, maxBlockSec: 4, rememberSec: 60 };
  const limit = (key: string, attempts = 3): AttemptLimit => ({ key, attempts, windowSec: 60 });

  afterAll(async () => {
    limiter.onModuleDestroy();
    await deleteRedisKeys(config.redisUrl, `${config.queuePrefix}:*`);
  });

  it('lets exactly `attempts` of many concurrent attempts through', async () => {
    const decisions = await Promise.all(Array.from({ length: 30 }, () => limiter.consume([limit('burst', 5)], policy)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
  });

  it('blocks for longer each time the attempts are used up again, up to the longest block', async () => {
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) expect(await limiter.consume([limit('grow')], policy)).toEqual({ allowed: true });
      const refused = await limiter.consume([limit('grow')], policy);
      if (refused.allowed) throw new Error('expected a block');
      waits.push(refused.retryAfterSec);
      // Still refused while blocked, and the refusal itself does not extend the block.
      expect(await limiter.consume([limit('grow')], policy)).toMatchObject({ allowed: false });
      await new Promise((r) => setTimeout(r, refused.retryAfterSec * 1000 + 50));
    }
    expect(waits).toEqual([1, 2, 4, 4]);
  });

  it('counts an attempt against every limit, and gives the others back when one refuses', async () => {
    const wide = limit('wide', 10);
    for (let i = 0; i < 2; i++) expect((await limiter.consume([limit('narrow', 2), wide], policy)).allowed).toBe(true);
    expect((await limiter.consume([limit('narrow', 2), wide], policy)).allowed).toBe(false);
    // `wide` counted two attempts, not three: eight are left for other pairs.
    for (let i = 0; i < 8; i++) expect((await limiter.consume([limit(`other-${i}`), wide], policy)).allowed).toBe(true);
    expect((await limiter.consume([limit('other-x'), wide], policy)).allowed).toBe(false);
  });

  it('forgets a key after a success and takes back refunded attempts', async () => {
    for (let i = 0; i < 3; i++) await limiter.consume([limit('ok')], policy);
    await limiter.forget('ok');
    expect((await limiter.consume([limit('ok')], policy)).allowed).toBe(true);

    for (let i = 0; i < 3; i++) await limiter.consume([limit('refund')], policy);
    await limiter.refund('refund');
    await limiter.refund('never-counted');
    expect((await limiter.consume([limit('refund')], policy)).allowed).toBe(true);
    expect((await limiter.consume([limit('refund')], policy)).allowed).toBe(false);
  });

  it('lets attempts through when Redis does not answer, rather than locking everyone out', async () => {
    const offline = new RateLimiterService({ ...config, redisUrl: 'redis://127.0.0.1:9' } as AppConfig);
    try {
      expect(await offline.consume([limit('x')], policy)).toEqual({ allowed: true });
    } finally {
      offline.onModuleDestroy();
    }
  });
});
