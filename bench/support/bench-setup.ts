import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PG_SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * Points DATABASE_URL (and REDIS_URL, logs) at the benchmark's own database, BENCH_DATABASE_NAME or
 * `fallbackName`. Call before importing anything from src/.
 */
export function useBenchDatabase(fallbackName: string): string {
  const name = process.env.BENCH_DATABASE_NAME ?? fallbackName;
  process.env.LOG_LEVEL ??= 'warn';
  process.env.DATABASE_URL = `${PG_SERVER_URL}/${name}`;
  process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  return name;
}

/** Drops and creates the benchmark's database and applies the migrations, as the test setup does. */
export async function recreateBenchDatabase(name: string): Promise<void> {
  const { recreateDatabase } = await import('../../test/support/recreate-database');
  await recreateDatabase(PG_SERVER_URL, name);
}

/** Runs a benchmark's main and exits with its outcome (0, or 1 with the error printed). */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** Compiles the server once, so the worker runs as in production (ts-node alone adds ~150 MB of RSS). */
export function compileWorker(): string {
  const outDir = path.resolve(__dirname, '../../node_modules/.cache/zhiku-bench-dist');
  console.log('compiling the worker…');
  fs.rmSync(outDir, { recursive: true, force: true });
  spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
    {
      cwd: path.resolve(__dirname, '../..'),
      stdio: 'ignore',
    },
  );
  const entry = path.join(outDir, 'src/main.js');
  if (!fs.existsSync(entry)) throw new Error(`compiling the worker produced no ${entry}`);
  return entry;
}
