import { DataSource } from 'typeorm';
import { ADVISORY_LOCK, withAdvisoryLock } from './advisory-lock';
import { buildDataSourceOptions } from './database-options';

/**
 * Checks that PostgreSQL answers and has pgvector, then applies pending migrations under an advisory
 * lock. Throws errors whose message says what to fix.
 */
export async function preparePostgres(databaseUrl: string, { migrate }: { migrate: boolean }): Promise<string[]> {
  const options = buildDataSourceOptions(databaseUrl);
  // At start-up a database that does not answer within seconds is a configuration problem.
  const dataSource = new DataSource({
    ...options,
    extra: { ...options.extra, max: 3, connectionTimeoutMillis: 10_000 },
  });
  try {
    await dataSource.initialize();
  } catch (err) {
    throw new Error(`Cannot connect to PostgreSQL at DATABASE_URL=${redactUrl(databaseUrl)}: ${describe(err)}`);
  }
  try {
    const [{ available }] = await dataSource.query(
      `SELECT count(*)::int AS available FROM pg_available_extensions WHERE name = 'vector'`,
    );
    if (!available) {
      throw new Error(
        'PostgreSQL has no pgvector extension. Use the pgvector/pgvector image (docker compose does) or run scripts/install-pgvector.sh as root on this machine.',
      );
    }
    if (!migrate) return [];
    // The lock lives on a connection of its own; the migrations run on the pool's other one.
    return await withAdvisoryLock(dataSource, ADVISORY_LOCK.migrations, 'schema', 'wait', async () => {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    });
  } finally {
    await dataSource.destroy();
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: { message?: string }[] };
  // pg reports a refused connection on both IPv4 and IPv6 as an AggregateError with an empty message.
  const message = e?.message || e?.errors?.map((x) => x.message).join('; ') || String(err);
  return e?.code && !message.includes(e.code) ? `${e.code} ${message}` : message;
}
