import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './database-options';

// Any fixed number: serialises migration runs when several API replicas start at once.
const MIGRATION_LOCK_KEY = 7_460_211;

/**
 * Checks that PostgreSQL answers and has pgvector, then applies pending migrations under an advisory
 * lock. Throws errors whose message says what to fix.
 */
export async function preparePostgres(databaseUrl: string, { migrate }: { migrate: boolean }): Promise<string[]> {
  const options = buildDataSourceOptions(databaseUrl);
  // At start-up a database that does not answer within seconds is a configuration problem.
  const dataSource = new DataSource({
    ...options,
    extra: { ...options.extra, max: 2, connectionTimeoutMillis: 10_000 },
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
    await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
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
