import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, ILike, In, Not, Repository } from 'typeorm';
import { isUuid } from '../common/validation/uuid';
import { ADVISORY_LOCK } from '../database/advisory-lock';
import { rowToEntity } from '../database/entity-rows';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { ChunkRepository } from './chunk.repository';
import { Document, DocumentStatus, FINAL_DOCUMENT_STATUSES } from './document.entity';

export interface NewDocumentVersion {
  knowledgeBaseId: string;
  filename: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
}

/** Columns a run may change while it works (status is only ever moved by DocumentLifecycle). */
export interface DocumentRunChange {
  status?: DocumentStatus;
  progress?: number;
  statusDetail?: string | null;
  pageCount?: number | null;
  chunkCount?: number;
}

export interface DocumentListQuery {
  status?: DocumentStatus;
  /** Part of the file name, case-insensitive. */
  filenameContains?: string;
  page: number;
  pageSize: number;
}

export interface CompletedRun {
  knowledgeBaseId: string;
  /** The document, ready and live, or null when a newer version of the file was ready first (this one went). */
  document: Document | null;
  /** Versions removed by this one (their rows and chunks are gone; their stored files are the caller's). */
  removed: Array<{ id: string; storageKey: string }>;
}

export interface DocumentRef {
  id: string;
  ingestRun: number;
  storageKey: string;
}

const COLUMNS: Record<keyof DocumentRunChange, string> = {
  status: 'status',
  progress: 'progress',
  statusDetail: 'status_detail',
  pageCount: 'page_count',
  chunkCount: 'chunk_count',
};
const POSTGRES_UNIQUE_VIOLATION = '23505';
const VERSION_KEY = 'documents_kb_filename_version_key';
/** Concurrent uploads of one file name that all lose the race for a version number give up after this. */
const VERSION_ATTEMPTS = 20;
const UNFINISHED = `status NOT IN (${FINAL_DOCUMENT_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** Every read and write of `documents`. Transactions that also change chunks go through ChunkRepository. */
@Injectable()
export class DocumentRepository {
  constructor(
    @InjectRepository(Document) private readonly rows: Repository<Document>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly chunks: ChunkRepository,
  ) {}

  /** The document, unless its knowledge base is deleted (then it is gone for users at once, before its purge). */
  async findById(id: string): Promise<Document | null> {
    if (!isUuid(id)) return null;
    return this.rows
      .createQueryBuilder('d')
      .innerJoin(KnowledgeBase, 'kb', 'kb.id = d.knowledgeBaseId AND kb.deletedAt IS NULL')
      .where('d.id = :id', { id })
      .getOne();
  }

  findBySha256(knowledgeBaseId: string, sha256: string): Promise<Document | null> {
    return this.rows.findOneBy({ knowledgeBaseId, sha256 });
  }

  /**
   * Inserts the file as the next version of its name in the knowledge base (version 1 for a new name), in
   * `queued`. Null when the same bytes are already there (an identical upload won the race). Two uploads
   * of one name never get the same version: the unique (knowledge base, name, version) key refuses the
   * second, which then takes the next number.
   */
  async insertNextVersion(file: NewDocumentVersion): Promise<Document | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [row] = await this.db.query(
          `INSERT INTO documents (knowledge_base_id, filename, mime_type, size_bytes, sha256, storage_key, status, version, replaces_id)
           SELECT $1, $2, $3, $4, $5, $6, 'queued', coalesce(latest.version, 0) + 1, latest.id
             FROM (SELECT 1) one
             LEFT JOIN LATERAL (SELECT id, version FROM documents WHERE knowledge_base_id = $1 AND filename = $2
                                 ORDER BY version DESC LIMIT 1) latest ON true
           ON CONFLICT (knowledge_base_id, sha256) DO NOTHING
           RETURNING *`,
          [file.knowledgeBaseId, file.filename, file.mimeType, file.sizeBytes, file.sha256, file.storageKey],
        );
        return row ? rowToEntity(this.db, Document, row) : null;
      } catch (err) {
        const e = err as { code?: string; constraint?: string };
        if (e.code !== POSTGRES_UNIQUE_VIOLATION || e.constraint !== VERSION_KEY || attempt >= VERSION_ATTEMPTS) {
          throw err;
        }
      }
    }
  }

  async page(knowledgeBaseId: string, query: DocumentListQuery): Promise<{ items: Document[]; total: number }> {
    const [items, total] = await this.rows.findAndCount({
      where: {
        knowledgeBaseId,
        ...(query.status ? { status: query.status } : {}),
        ...(query.filenameContains
          ? { filename: ILike(`%${query.filenameContains.replace(/[\\%_]/g, '\\$&')}%`) }
          : {}),
      },
      order: { createdAt: 'DESC', id: 'ASC' },
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
    });
    return { items, total };
  }

  /** The knowledge base's documents still on their way to ready or failed, oldest first. */
  unfinishedOf(knowledgeBaseId: string): Promise<Document[]> {
    return this.rows.find({
      where: { knowledgeBaseId, status: Not(In([...FINAL_DOCUMENT_STATUSES])) },
      order: { createdAt: 'ASC' },
    });
  }

  /** Unfinished documents untouched for `graceSeconds`, oldest first: the reconciler's candidates. */
  async staleUnfinished(graceSeconds: number, limit: number): Promise<Array<{ id: string; ingestRun: number }>> {
    const rows: Array<{ id: string; ingest_run: number }> = await this.db.query(
      `SELECT id, ingest_run FROM documents
        WHERE ${UNFINISHED} AND updated_at < now() - make_interval(secs => $1)
        ORDER BY updated_at LIMIT $2`,
      [graceSeconds, limit],
    );
    return rows.map((r) => ({ id: r.id, ingestRun: r.ingest_run }));
  }

  /**
   * Changes an unfinished document while it is still on `run`; null when it is gone, reindexed (another
   * run) or already ready or failed — so a late or duplicate job can never move a finished document.
   */
  async updateUnfinishedRun(documentId: string, run: number, change: DocumentRunChange): Promise<Document | null> {
    const sets: string[] = ['updated_at = now()'];
    const params: unknown[] = [documentId, run];
    for (const [key, value] of Object.entries(change) as Array<[keyof DocumentRunChange, unknown]>) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${COLUMNS[key]} = $${params.length}`);
    }
    const [rows]: [object[], number] = await this.db.query(
      `UPDATE documents SET ${sets.join(', ')} WHERE id = $1 AND ingest_run = $2 AND ${UNFINISHED} RETURNING *`,
      params,
    );
    return rows[0] ? rowToEntity(this.db, Document, rows[0]) : null;
  }

  /**
   * Starts a new run (reindex): the document goes back to `queued` under a new run number; chunks of an
   * unfinished earlier run go, the live run's stay searchable until the new run replaces them.
   */
  async startNextRun(documentId: string): Promise<Document | null> {
    return this.db.transaction(async (tx) => {
      const [rows]: [object[], number] = await tx.query(
        `UPDATE documents SET ingest_run = ingest_run + 1, status = 'queued', progress = 0, status_detail = NULL,
                error_code = NULL, error_message = NULL, updated_at = now()
          WHERE id = $1 RETURNING *`,
        [documentId],
      );
      if (!rows[0]) return null;
      const doc = rowToEntity(this.db, Document, rows[0]);
      await this.chunks.deleteAllButRun(doc.id, doc.liveRun, tx);
      return doc;
    });
  }

  /**
   * In one transaction: this run becomes the document's live run and the document `ready` with its counts;
   * the chunks of the run it replaces (a reindex) go; older versions of the same file go (their chunks with
   * them), so searches switch from old to new at once. If a newer version of the file is already ready,
   * this one is obsolete and goes instead. Completions of one file name are serialised, so two versions
   * finishing together cannot deadlock or both stay live. Null when the document is gone or on another run.
   */
  async completeRun(
    documentId: string,
    run: number,
    counts: { chunkCount: number; pageCount: number | null },
  ): Promise<CompletedRun | null> {
    return this.db.transaction(async (tx) => {
      const [doc]: Array<{ knowledge_base_id: string; filename: string; version: number }> = await tx.query(
        `SELECT knowledge_base_id, filename, version FROM documents WHERE id = $1 AND ingest_run = $2 AND ${UNFINISHED}`,
        [documentId, run],
      );
      if (!doc) return null;
      await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [
        ADVISORY_LOCK.documentVersions,
        `${doc.knowledge_base_id}/${doc.filename}`,
      ]);
      const [newer]: Array<{ id: string }> = await tx.query(
        `SELECT id FROM documents WHERE knowledge_base_id = $1 AND filename = $2 AND version > $3 AND status = 'ready' LIMIT 1`,
        [doc.knowledge_base_id, doc.filename, doc.version],
      );
      if (newer) {
        const [removed]: [Array<{ id: string; storage_key: string }>, number] = await tx.query(
          `DELETE FROM documents WHERE id = $1 RETURNING id, storage_key`,
          [documentId],
        );
        return {
          knowledgeBaseId: doc.knowledge_base_id,
          document: null,
          removed: removed.map((r) => ({ id: r.id, storageKey: r.storage_key })),
        };
      }
      const [rows]: [object[], number] = await tx.query(
        `UPDATE documents SET status = 'ready', progress = 100, status_detail = NULL, error_code = NULL,
                error_message = NULL, chunk_count = $2, page_count = $3, live_run = $4, updated_at = now()
          WHERE id = $1 AND ingest_run = $4 AND ${UNFINISHED} RETURNING *`,
        [documentId, counts.chunkCount, counts.pageCount, run],
      );
      if (!rows[0]) return null; // reindexed or deleted between the read and the lock
      await this.chunks.deleteAllButRun(documentId, run, tx);
      const [removed]: [Array<{ id: string; storage_key: string }>, number] = await tx.query(
        `DELETE FROM documents WHERE knowledge_base_id = $1 AND filename = $2 AND version < $3
          RETURNING id, storage_key`,
        [doc.knowledge_base_id, doc.filename, doc.version],
      );
      return {
        knowledgeBaseId: doc.knowledge_base_id,
        document: rowToEntity(this.db, Document, rows[0]),
        removed: removed.map((r) => ({ id: r.id, storageKey: r.storage_key })),
      };
    });
  }

  /**
   * Marks this run failed with its code: its own chunks go, the live run's (after a failed reindex) keep
   * serving, and `chunk_count` says how many those are. Null when the document is gone or finished.
   */
  async failRun(documentId: string, run: number, error: { code: string; message: string }): Promise<Document | null> {
    return this.db.transaction(async (tx) => {
      const [current]: Array<{ live_run: number | null }> = await tx.query(
        `SELECT live_run FROM documents WHERE id = $1 AND ingest_run = $2 AND ${UNFINISHED} FOR UPDATE`,
        [documentId, run],
      );
      if (!current) return null;
      await this.chunks.deleteAllButRun(documentId, current.live_run, tx);
      const [rows]: [object[], number] = await tx.query(
        `UPDATE documents SET status = 'failed', status_detail = NULL, error_code = $3, error_message = $4,
                chunk_count = (SELECT count(*) FROM chunks WHERE document_id = $1)::int, updated_at = now()
          WHERE id = $1 AND ingest_run = $2 RETURNING *`,
        [documentId, run, error.code, error.message],
      );
      return rows[0] ? rowToEntity(this.db, Document, rows[0]) : null;
    });
  }

  /** Deletes the document (its chunks cascade); null when it was not there. */
  async delete(documentId: string): Promise<Document | null> {
    const [rows]: [object[], number] = await this.db.query(`DELETE FROM documents WHERE id = $1 RETURNING *`, [
      documentId,
    ]);
    return rows[0] ? rowToEntity(this.db, Document, rows[0]) : null;
  }

  /** Deletes up to `limit` documents of a knowledge base (with their chunks): one bounded step of a purge. */
  async deleteSomeOf(knowledgeBaseId: string, limit: number): Promise<DocumentRef[]> {
    const [rows]: [Array<{ id: string; ingest_run: number; storage_key: string }>, number] = await this.db.query(
      `DELETE FROM documents WHERE id IN (SELECT id FROM documents WHERE knowledge_base_id = $1 LIMIT $2)
       RETURNING id, ingest_run, storage_key`,
      [knowledgeBaseId, limit],
    );
    return rows.map((r) => ({ id: r.id, ingestRun: r.ingest_run, storageKey: r.storage_key }));
  }
}
