import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { checkRedis } from './common/queue/redis-preflight';
import { AppConfig, ConfigError, loadAppConfig } from './config/app-config';
import { preparePostgres } from './database/migrate';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadAppConfig();
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message);
    throw err;
  }
  try {
    // Database and Redis must be there; Ollama may be down (health says so, documents wait).
    const applied = await preparePostgres(config.databaseUrl, { migrate: config.role !== 'worker' && process.env.MIGRATE_ON_START !== 'false' });
    if (applied.length) console.log(JSON.stringify({ level: 30, msg: `applied migrations: ${applied.join(', ')}` }));
    await checkRedis(config.redisUrl);
  } catch (err) {
    return fail((err as Error).message);
  }

  const app = await NestFactory.create(AppModule.forRole(config.role, config), { bufferLogs: true, bodyParser: false });
  configureApp(app, config);
  await app.listen(config.port, config.host);
}

function fail(message: string): void {
  console.error(`zhiku cannot start: ${message}`);
  process.exit(1);
}

void bootstrap();
