/**
 * Environment for every test file: a dedicated database (created and migrated by global-setup.ts)
 * and quiet logs. Each app a test starts also gets its own Bull key prefix (see test-app.ts).
 */
export const TEST_DATABASE_NAME = process.env.TEST_DATABASE_NAME ?? 'zhiku_test';
export const PG_SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

process.env.DATABASE_URL = `${PG_SERVER_URL}/${TEST_DATABASE_NAME}`;
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
process.env.LOG_LEVEL ??= 'silent';
