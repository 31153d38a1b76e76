import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { AbstractLoader, ExpressLoader } from '@nestjs/serve-static';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { AppConfig, ServiceRole, loadAppConfig } from '../../src/config/app-config';
import { APP_CONFIG } from '../../src/config/config.module';
import { FakeOllama } from '../fake-ollama/fake-ollama.server';

export interface TestApp {
  app: INestApplication;
  /** http://127.0.0.1:<port> of the running app. */
  url: string;
  config: AppConfig;
  fake: FakeOllama;
  close(): Promise<void>;
}

export interface TestAppOptions {
  role?: ServiceRole;
  /** Extra environment, as a user would set it (e.g. { CHUNK_SIZE: '200' }). */
  env?: Record<string, string>;
  /** Share a fake Ollama between apps (e.g. an API and a worker); otherwise each app starts its own. */
  fake?: FakeOllama;
  /** Share a Bull prefix and data dir with another app of the same test (API + worker pairs). */
  queuePrefix?: string;
  dataDir?: string;
}

/**
 * Starts the real application (same modules, pipes and filters as main.ts) on a free loopback port,
 * against the test database, the real Redis (under a prefix of its own) and a fake Ollama.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const ownsFake = !options.fake;
  const fake = options.fake ?? (await FakeOllama.start({ port: 0 }));
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zhiku-test-data-'));
  const queuePrefix = options.queuePrefix ?? `zhiku-test-${randomUUID().slice(0, 8)}`;
  const config = loadAppConfig({
    ...process.env,
    OLLAMA_BASE_URL: fake.url,
    DATA_DIR: dataDir,
    QUEUE_PREFIX: queuePrefix,
    ROLE: options.role ?? 'all',
    PORT: '0',
    HOST: '127.0.0.1',
    ...options.env,
  });

  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRole(config.role, config)] })
    .overrideProvider(APP_CONFIG)
    .useValue(config)
    // ServeStaticModule picks its loader from the HTTP adapter, which a testing module does not have yet
    // (it would take the no-op loader): serve web/dist at / like main.ts does.
    .overrideProvider(AbstractLoader)
    .useValue(new ExpressLoader())
    .compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true, bodyParser: false });
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };

  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    config,
    fake,
    close: async () => {
      await app.close();
      if (ownsFake) await fake.stop();
      if (!options.queuePrefix) await deleteRedisKeys(config.redisUrl, `${queuePrefix}:*`);
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
