import Redis from 'ioredis';
import { redactUrl } from '../../database/migrate';

/** Fails with a message naming REDIS_URL when Redis does not answer a PING within a few seconds. */
export async function checkRedis(redisUrl: string): Promise<void> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(
      `Cannot connect to Redis at REDIS_URL=${redactUrl(redisUrl)}: ${(err as Error).message || String(err)}`,
    );
  } finally {
    client.disconnect();
  }
}
