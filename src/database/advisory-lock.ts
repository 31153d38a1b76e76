import { DataSource, QueryRunner } from 'typeorm';

/**
 * First keys of zhiku's PostgreSQL advisory locks, in one place so no two uses collide. The second key
 * is a hash of the locked thing's id (or 0).
 */
export const ADVISORY_LOCK = {
  /** Serialises migration runs when several API replicas start at once. */
  migrations: 7_460_211,
  /** One worker at a time works on a document. */
  document: 7_460_212,
  /** One HNSW build at a time per knowledge base. */
  vectorIndex: 7_460_213,
  /** One purge at a time per deleted knowledge base. */
  knowledgeBasePurge: 7_460_214,
  /** Versions of one file name in a knowledge base become ready one at a time (transaction lock). */
  documentVersions: 7_460_215,
} as const;

export type AdvisoryLockNamespace = (typeof ADVISORY_LOCK)[keyof typeof ADVISORY_LOCK];

/** How to take the lock: wait for it, give up at once, or wait at most this long. */
export type LockWait = 'wait' | 'try' | { timeoutMs: number };

/** The lock is held elsewhere (and the caller chose not to wait, or waited long enough). */
export class AdvisoryLockBusyError extends Error {
  constructor(
    readonly namespace: AdvisoryLockNamespace,
    readonly key: string,
  ) {
    super(`advisory lock ${namespace}/${key} is held by another session`);
    this.name = 'AdvisoryLockBusyError';
  }
}

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Runs `work` while holding a session-level advisory lock taken on a connection of its own, and releases
 * it on that same connection (a pooled `DataSource.query` may run the unlock on another connection, which
 * then releases nothing). If the process dies, PostgreSQL releases the lock with the connection. `work`
 * gets the lock's connection, for statements that must run on it (e.g. CREATE INDEX CONCURRENTLY).
 */
export async function withAdvisoryLock<T>(
  db: DataSource,
  namespace: AdvisoryLockNamespace,
  key: string,
  wait: LockWait,
  work: (lockConnection: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await acquire(runner, namespace, key, wait);
    try {
      return await work(runner);
    } finally {
      await runner.query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [namespace, key]).catch(() => undefined); // a broken connection released the lock with itself
    }
  } finally {
    await runner.release();
  }
}

async function acquire(runner: QueryRunner, namespace: AdvisoryLockNamespace, key: string, wait: LockWait) {
  if (wait === 'try') {
    const [{ locked }]: Array<{ locked: boolean }> = await runner.query(
      `SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked`,
      [namespace, key],
    );
    if (!locked) throw new AdvisoryLockBusyError(namespace, key);
    return;
  }
  if (wait === 'wait') {
    await runner.query(`SELECT pg_advisory_lock($1, hashtext($2))`, [namespace, key]);
    return;
  }
  await runner.query(`SELECT set_config('lock_timeout', $1, false)`, [`${Math.max(1, Math.round(wait.timeoutMs))}ms`]);
  try {
    await runner.query(`SELECT pg_advisory_lock($1, hashtext($2))`, [namespace, key]);
  } catch (err) {
    if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) throw new AdvisoryLockBusyError(namespace, key);
    throw err;
  } finally {
    await runner.query(`RESET lock_timeout`).catch(() => undefined);
  }
}
