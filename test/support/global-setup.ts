import { Client } from 'pg';
import { preparePostgres } from '../../src/database/migrate';
import { PG_SERVER_URL, TEST_DATABASE_NAME } from './test-env';

/** Recreates the test database and applies every migration once per jest run. */
export default async function globalSetup(): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(TEST_DATABASE_NAME)) throw new Error(`bad TEST_DATABASE_NAME ${TEST_DATABASE_NAME}`);
  const admin = new Client({ connectionString: `${PG_SERVER_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEST_DATABASE_NAME} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEST_DATABASE_NAME}`);
  } finally {
    await admin.end();
  }
  await preparePostgres(`${PG_SERVER_URL}/${TEST_DATABASE_NAME}`, { migrate: true });
}
