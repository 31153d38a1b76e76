/**
 * What a PostgreSQL failure means, read from its SQLSTATE (pg's DatabaseError and TypeORM's
 * QueryFailedError both carry it as `code`) or, for a lost connection, from the error's shape.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */

/** The SQLSTATE of a database error (e.g. "40P01"), or undefined for anything else. */
export function sqlState(err: unknown): string | undefined {
  const candidates = [err, (err as { driverError?: unknown } | null)?.driverError];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && isDatabaseError(candidate)) return code;
  }
  return undefined;
}

/** pg's DatabaseError (also inside TypeORM's QueryFailedError): has a severity as well as a code. */
function isDatabaseError(err: unknown): boolean {
  const e = err as { severity?: unknown; name?: unknown } | null;
  return typeof e?.severity === 'string' || e?.name === 'QueryFailedError' || e?.name === 'error';
}

/** Deadlock (40P01) or serialization failure (40001): the same transaction run again succeeds. */
export function isTransactionConflict(err: unknown): boolean {
  const state = sqlState(err);
  return state === '40P01' || state === '40001';
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
/** What pg and its pool say when a connection breaks or cannot be had. */
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|the database system is (starting up|shutting down|in recovery mode)/i;

/**
 * The database could not be reached or dropped the connection: a connection exception (class 08), an
 * administrator or crash shutdown (57P01–57P03), too many connections or other missing resources (class 53),
 * or a socket error before any SQLSTATE.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const state = sqlState(err);
  if (state) return state.startsWith('08') || state.startsWith('53') || ['57P01', '57P02', '57P03'].includes(state);
  const e = err as { code?: unknown; message?: unknown; syscall?: unknown } | null;
  if (typeof e?.code === 'string' && CONNECTION_CODES.has(e.code) && typeof e.syscall === 'string') return true;
  return typeof e?.message === 'string' && CONNECTION_MESSAGES.test(e.message);
}

/** Attempts of a transaction that meets deadlocks or serialization failures, and the pause before the first retry. */
const CONFLICT_ATTEMPTS = 4;
const CONFLICT_BACKOFF_MS = 50;

/**
 * Runs `work` (a whole transaction, or one statement) again when PostgreSQL aborted it for a deadlock or a
 * serialization failure, which another run resolves; after the last attempt the error goes to the caller.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = CONFLICT_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isTransactionConflict(err)) throw err;
      // A little random, so two transactions that met do not meet again in step.
      const pause = CONFLICT_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
