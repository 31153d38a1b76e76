import { assertCorpusPresent } from './corpus-dir';
import { recreateDatabase } from './recreate-database';
import { PG_SERVER_URL, TEST_DATABASE_NAME } from './test-env';

/** Recreates the test database and applies every migration once per jest run. */
export default async function globalSetup(): Promise<void> {
  assertCorpusPresent();
  await recreateDatabase(PG_SERVER_URL, TEST_DATABASE_NAME);
}
