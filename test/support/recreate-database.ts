import { Client } from 'pg';
import { preparePostgres } from '../../src/database/migrate';

/** Drops and creates database `name` on the server and applies every migration (tests and benchmarks). */
export async function recreateDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  await preparePostgres(`${serverUrl}/${name}`, { migrate: true });
}
