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
  /**
   * Whoever builds or drops an index on `chunks` (of any knowledge base): two CREATE/DROP INDEX CONCURRENTLY
   * on one table deadlock, each waiting for the other's transaction.
   */
  indexDdl: 7_460_213,
  /** One purge at a time per deleted knowledge base. */
  knowledgeBasePurge: 7_460_214,
  /** Versions of one file name in a knowledge base become ready one at a time (transaction lock). */
  documentVersions: 7_460_215,
} as const;

export type AdvisoryLockNamespace = (typeof ADVISORY_LOCK)[keyof typeof ADVISORY_LOCK];

/** How to take the lock: wait for it, give up at once, or wait at most this long. */
export type LockWait = 'wait' | 'try' | { timeoutMs: number };

/** Pause between tries while waiting for a lock. */
const POLL_MS = 100;

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

/**
 * Waiting is done by trying and pausing, never by blocking inside PostgreSQL: a session blocked in
 * pg_advisory_lock runs a statement, CREATE INDEX CONCURRENTLY waits for every such older statement, and a
 * session waiting for a lock the index builder holds would deadlock with it.
 */
async function acquire(runner: QueryRunner, namespace: AdvisoryLockNamespace, key: string, wait: LockWait) {
  const deadline = typeof wait === 'object' ? Date.now() + wait.timeoutMs : Infinity;
  for (;;) {
    const [{ locked }]: Array<{ locked: boolean }> = await runner.query(
      `SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked`,
      [namespace, key],
    );
    if (locked) return;
    if (wait === 'try' || Date.now() >= deadline) throw new AdvisoryLockBusyError(namespace, key);
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
  }
}
