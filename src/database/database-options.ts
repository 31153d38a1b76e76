import * as path from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/**
 * One definition of the database connection, shared by the app (TypeOrmModule) and the TypeORM CLI
 * (src/database/data-source.ts), so migrations run against exactly what the app uses.
 * Schema changes live only in migrations/: synchronize stays off.
 */
export function buildDataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: [path.join(__dirname, '..', '**', '*.entity.{ts,js}')],
    migrations: [path.join(__dirname, '..', '..', 'migrations', '*.{ts,js}')],
    migrationsTableName: 'migrations',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    uuidExtension: 'pgcrypto',
    extra: {
      max: 20,
      // Generous: a worker parsing a 2,000-page PDF in the same process (ROLE=all) can hold the event
      // loop for a while, and a request must not fail just because its connect callback ran late.
      connectionTimeoutMillis: 30_000,
      // Keep connections warm between a worker's batches instead of reconnecting every 10 s.
      idleTimeoutMillis: 60_000,
      application_name: 'zhiku',
    },
  };
}
