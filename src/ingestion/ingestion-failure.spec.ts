import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isTransactionConflict, retryOnConflict, sqlState } from '../database/postgres-errors';
import {
  OllamaBusyError,
  OllamaModelNotFoundError,
  OllamaRequestError,
  OllamaUnavailableError,
} from '../llm/ollama-errors';
import { IngestionError } from './ingestion-errors';
import { classifyIngestionFailure } from './ingestion-failure';

/** An error as pg raises it for a failed statement, optionally wrapped by TypeORM as its query methods do. */
function postgresError(code: string, message: string, wrapped = true): Error {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = 'ERROR';
  return wrapped ? new QueryFailedError('INSERT INTO chunks …', [], error) : error;
}

/** A Node socket error, as pg's client reports a refused or reset connection. */
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect', errno: -111 });
}

describe('classifyIngestionFailure', () => {
  it.each([
    ['a deadlock', postgresError('40P01', 'deadlock detected'), 'DATABASE_CONFLICT'],
    ['a serialization failure', postgresError('40001', 'could not serialize access'), 'DATABASE_CONFLICT'],
    [
      'an administrator shutdown',
      postgresError('57P01', 'terminating connection due to administrator command'),
      'DATABASE_UNAVAILABLE',
    ],
    [
      'the database starting up',
      postgresError('57P03', 'the database system is starting up', false),
      'DATABASE_UNAVAILABLE',
    ],
    ['a connection failure', postgresError('08006', 'connection failure'), 'DATABASE_UNAVAILABLE'],
    ['too many connections', postgresError('53300', 'sorry, too many clients already'), 'DATABASE_UNAVAILABLE'],
    ['a refused connection', socketError('ECONNREFUSED'), 'DATABASE_UNAVAILABLE'],
    ['a reset connection', socketError('ECONNRESET'), 'DATABASE_UNAVAILABLE'],
    ['a dropped connection', new Error('Connection terminated unexpectedly'), 'DATABASE_UNAVAILABLE'],
    ['an exhausted pool', new Error('timeout exceeded when trying to connect'), 'DATABASE_UNAVAILABLE'],
    ['a statement timeout', postgresError('57014', 'canceling statement due to statement timeout'), 'DATABASE_BUSY'],
    [
      'a full disk',
      Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', syscall: 'write' }),
      'SERVER_RESOURCES',
    ],
    ['Ollama unreachable', new OllamaUnavailableError('http://o:11434', 'connect ECONNREFUSED'), 'OLLAMA_UNAVAILABLE'],
    ['Ollama busy', new OllamaBusyError('http://o:11434', 'server busy'), 'OLLAMA_BUSY'],
    [
      'an Ollama 500',
      new OllamaRequestError(500, 'llama runner process has terminated', 'http://o:11434', 'embed texts'),
      'OLLAMA_ERROR',
    ],
  ])('%s is transient (%s)', (_what, err, code) => {
    expect(classifyIngestionFailure(err)).toMatchObject({ kind: 'transient', code });
  });

  it.each([
    [
      'text PostgreSQL refuses',
      postgresError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
      'UNSTORABLE_TEXT',
    ],
    ['jsonb with \\u0000', postgresError('22P05', 'unsupported Unicode escape sequence'), 'UNSTORABLE_TEXT'],
    ['a value too long', postgresError('22001', 'value too long for type character varying(255)'), 'UNSTORABLE_TEXT'],
    [
      'a check constraint',
      postgresError('23514', 'violates check constraint "documents_progress_check"'),
      'CONSTRAINT_VIOLATION',
    ],
    [
      'a unique constraint',
      postgresError('23505', 'duplicate key value violates unique constraint'),
      'CONSTRAINT_VIOLATION',
    ],
    [
      'a tsvector too long',
      postgresError('54000', 'string is too long for tsvector (1048576 bytes, max 1048575 bytes)'),
      'TOO_LARGE_TO_INDEX',
    ],
    ['a scanned PDF', new IngestionError('NO_TEXT_LAYER', 'This PDF has no extractable text'), 'NO_TEXT_LAYER'],
    ['a missing model', new OllamaModelNotFoundError('bge-m3', 'http://o:11434'), 'OLLAMA_MODEL_NOT_FOUND'],
    [
      'a passage longer than the model takes',
      new OllamaRequestError(400, 'the input length exceeds the context length', 'http://o:11434', 'embed texts'),
      'TEXT_TOO_LONG_FOR_MODEL',
    ],
  ])('%s is permanent (%s)', (_what, err, code) => {
    expect(classifyIngestionFailure(err)).toMatchObject({ kind: 'permanent', code });
  });

  it.each([
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'length')")],
    ['an internal database error', postgresError('XX000', 'could not read block 7 in file "base/16384/2619"')],
    ['a missing table', postgresError('42P01', 'relation "chunks" does not exist')],
    ['a thrown string', 'something odd'],
  ])('%s is unknown: INGESTION_FAILED', (_what, err) => {
    expect(classifyIngestionFailure(err)).toMatchObject({ kind: 'unknown', code: 'INGESTION_FAILED' });
  });

  it('never puts the driver text into the message people read', () => {
    const raw = [
      postgresError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
      postgresError('40P01', 'deadlock detected'),
      postgresError('23505', 'duplicate key value violates unique constraint "chunks_document_run_ordinal_key"'),
      postgresError('XX000', 'could not read block 7 in file "base/16384/2619"'),
      new Error('Connection terminated unexpectedly'),
    ];
    for (const err of raw) {
      const { message } = classifyIngestionFailure(err);
      expect(message).not.toContain((err as QueryFailedError).driverError?.message ?? err.message);
      expect(message).toMatch(/^[A-Z].*\.$/);
    }
  });
});

describe('PostgreSQL errors', () => {
  it('reads the SQLSTATE of pg and TypeORM errors only', () => {
    expect(sqlState(postgresError('40P01', 'deadlock detected'))).toBe('40P01');
    expect(sqlState(postgresError('40P01', 'deadlock detected', false))).toBe('40P01');
    expect(sqlState(socketError('ECONNREFUSED'))).toBeUndefined();
    expect(sqlState(Object.assign(new Error('x'), { code: 'ABCDE' }))).toBeUndefined();
    expect(isTransactionConflict(postgresError('40001', 'could not serialize access'))).toBe(true);
    expect(isDatabaseUnavailable(postgresError('22021', 'invalid byte sequence'))).toBe(false);
  });

  it('retryOnConflict runs the work again after a deadlock, and gives up after four attempts', async () => {
    let calls = 0;
    await expect(
      retryOnConflict(async () => {
        if (++calls < 3) throw postgresError('40P01', 'deadlock detected');
        return 'done';
      }),
    ).resolves.toBe('done');
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw postgresError('40001', 'could not serialize access');
      }),
    ).rejects.toMatchObject({ code: '40001' });
    expect(calls).toBe(4);

    calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw postgresError('23505', 'duplicate key');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);
  });
});
