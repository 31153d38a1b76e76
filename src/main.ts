import 'reflect-metadata';
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
    const migrate = config.role !== 'worker' && process.env.MIGRATE_ON_START !== 'false';
    const applied = await preparePostgres(config.databaseUrl, { migrate });
    if (applied.length) console.log(JSON.stringify({ level: 30, msg: `applied migrations: ${applied.join(', ')}` }));
    await checkRedis(config.redisUrl);
  } catch (err) {
    return fail((err as Error).message);
  }

  // Loaded only now, so a bad setting fails in a blink instead of after loading the whole app.
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('./app.module');
  const { configureApp } = await import('./app.setup');
  const app = await NestFactory.create(AppModule.forRole(config.role, config), { bufferLogs: true, bodyParser: false });
  configureApp(app, config);
  await app.listen(config.port, config.host);
}

function fail(message: string): void {
  console.error(`zhiku cannot start: ${message}`);
  process.exit(1);
}

void bootstrap();
