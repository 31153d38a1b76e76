import { ReadStream } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, ILike, Repository } from 'typeorm';
import { Principal } from '../auth/principal';
import { DomainError, NotFoundError, ValidationFailedError } from '../common/errors/domain-error';
import { estimateTokens } from '../common/text/token-estimate';
import { DocumentStateService, documentEventData } from '../ingestion/document-state.service';
import { IngestionQueueService } from '../ingestion/ingestion-queue.service';
import type { ChunkLocation } from '../ingestion/parsing/parsed-document';
import { effectiveSplitOptions, embeddingInput } from '../ingestion/splitting/text-splitter';
import { isUuid } from '../common/validation/uuid';
import { findKnowledgeBaseOrFail } from '../knowledge-bases/knowledge-base-lookup';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { OllamaClientService } from '../llm/ollama-client.service';
import { Chunk } from './chunk.entity';
import { ChunkRepository } from './chunk.repository';
import { DocumentFileStore } from './document-file-store';
import { Document, DocumentStatus } from './document.entity';
import { ListDocumentsQuery, PageQuery } from './dto/list-documents.query';
import { UpdateChunkDto } from './dto/update-chunk.dto';
import { checkStoredContent, detectMimeType, validateFilename } from './upload/file-type';
import { StoredUpload } from './upload/hashing-disk-storage';

export interface DocumentView {
  id: string;
  knowledgeBaseId: string;
  filename: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  status: DocumentStatus;
  progress: number;
  /** A passing condition, e.g. "Waiting for Ollama (…)". */
  statusDetail: string | null;
  pageCount: number | null;
  chunkCount: number;
  version: number;
  replacesId: string | null;
  error: { code: string; message: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface UploadedDocument {
  id: string;
  filename: string;
  status: DocumentStatus;
  /** True when these exact bytes were already in the knowledge base: the existing document is returned, nothing is queued. */
  duplicate: boolean;
  version: number;
}

export interface ChunkView {
  id: string;
  ordinal: number;
  title: string;
  content: string;
  pageFrom: number | null;
  pageTo: number | null;
  /** Slides, chapters or a sheet's rows (formats without PDF pages). */
  location: ChunkLocation | null;
  enabled: boolean;
  tokenCount: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface StoredOriginal {
  stream: ReadStream;
  filename: string;
  mimeType: string;
  sizeBytes: number;
}

const DEFAULT_PAGE_SIZE = 20;

/** Uploads (dedupe, versions, queueing), document and chunk reads, chunk edits, reindex and delete. */
@Injectable()
export class DocumentsService {
  constructor(
    @InjectRepository(Document) private readonly documents: Repository<Document>,
    @InjectRepository(KnowledgeBase) private readonly knowledgeBases: Repository<KnowledgeBase>,
    @InjectRepository(Chunk) private readonly chunkEntities: Repository<Chunk>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly chunks: ChunkRepository,
    private readonly files: DocumentFileStore,
    private readonly queue: IngestionQueueService,
    private readonly state: DocumentStateService,
    private readonly ollama: OllamaClientService,
  ) {}

  /**
   * Registers uploaded files (already on disk under generated names). Every file is checked first —
   * name, emptiness, type by content and extension, ZIP limits — and one bad file refuses the whole upload, so
   * nothing in the knowledge base changes. Same bytes as an existing document → that document with
   * `duplicate: true`; same name, other bytes → a new version, queued.
   */
  async upload(
    knowledgeBaseIdOrSlug: string,
    uploads: StoredUpload[] | undefined,
    principal?: Principal,
  ): Promise<{ documents: UploadedDocument[] }> {
    void principal; // accounts: who uploaded goes to the audit log
    const stored = uploads ?? [];
    let checked: Array<StoredUpload & { filename: string; mimeType: string }>;
    let knowledgeBase: KnowledgeBase;
    try {
      if (!stored.length) {
        throw new DomainError('NO_FILES', 'Send 1 to 50 files as multipart/form-data in the field "files".', 400);
      }
      knowledgeBase = await findKnowledgeBaseOrFail(this.knowledgeBases, knowledgeBaseIdOrSlug);
      checked = [];
      for (const file of stored) {
        const filename = validateFilename(file.originalname);
        if (file.size === 0)
          throw new DomainError('EMPTY_FILE', `"${filename}" is empty (0 bytes); nothing was stored.`, 400);
        const mimeType = detectMimeType(filename, file.head);
        await checkStoredContent(filename, mimeType, file.path);
        checked.push({ ...file, filename, mimeType });
      }
    } catch (err) {
      await this.files.remove(...stored.map((f) => f.storageKey));
      throw err;
    }

    const results: UploadedDocument[] = [];
    try {
      for (const file of checked) results.push(await this.register(knowledgeBase, file));
    } catch (err) {
      // Files not registered yet would be orphans on disk.
      await this.files.remove(...checked.slice(results.length + 1).map((f) => f.storageKey));
      throw err;
    }
    return { documents: results };
  }

  private async register(
    knowledgeBase: KnowledgeBase,
    file: StoredUpload & { filename: string; mimeType: string },
  ): Promise<UploadedDocument> {
    const duplicate = async (): Promise<UploadedDocument | undefined> => {
      const existing = await this.documents.findOneBy({ knowledgeBaseId: knowledgeBase.id, sha256: file.sha256 });
      if (!existing) return undefined;
      await this.files.remove(file.storageKey);
      return {
        id: existing.id,
        filename: existing.filename,
        status: existing.status,
        duplicate: true,
        version: existing.version,
      };
    };
    const known = await duplicate();
    if (known) return known;

    const previous = await this.documents.findOne({
      where: { knowledgeBaseId: knowledgeBase.id, filename: file.filename },
      order: { version: 'DESC' },
    });
    const inserted: Document[] = await this.db.query(
      `INSERT INTO documents (knowledge_base_id, filename, mime_type, size_bytes, sha256, storage_key, status, version, replaces_id)
       VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8)
       ON CONFLICT (knowledge_base_id, sha256) DO NOTHING
       RETURNING id`,
      [
        knowledgeBase.id,
        file.filename,
        file.mimeType,
        file.size,
        file.sha256,
        file.storageKey,
        (previous?.version ?? 0) + 1,
        previous?.id ?? null,
      ],
    );
    // Lost a race with an identical upload: that one wins.
    if (!inserted.length) return (await duplicate())!;
    const doc = (await this.documents.findOneBy({ id: inserted[0].id }))!;
    this.state.publishUpdated(doc);
    await this.queue.enqueueOrDefer(doc.id, doc.ingestRun);
    return { id: doc.id, filename: doc.filename, status: doc.status, duplicate: false, version: doc.version };
  }

  async list(knowledgeBaseIdOrSlug: string, query: ListDocumentsQuery): Promise<Page<DocumentView>> {
    const knowledgeBase = await findKnowledgeBaseOrFail(this.knowledgeBases, knowledgeBaseIdOrSlug);
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
    const [items, total] = await this.documents.findAndCount({
      where: {
        knowledgeBaseId: knowledgeBase.id,
        ...(query.status ? { status: query.status } : {}),
        ...(query.q ? { filename: ILike(`%${query.q.replace(/[\\%_]/g, '\\$&')}%`) } : {}),
      },
      order: { createdAt: 'DESC', id: 'ASC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items: items.map(documentView), total, page, pageSize };
  }

  async get(id: string): Promise<DocumentView> {
    return documentView(await this.findDocument(id));
  }

  /**
   * The original bytes, or with `searchable` the PDF that OCR made of a scan or an image (its recognized
   * text can be selected in a PDF viewer), falling back to the original when there is none.
   */
  async openOriginal(id: string, searchable = false): Promise<StoredOriginal> {
    const doc = await this.findDocument(id);
    const copy = searchable ? await this.files.openSearchableCopy(doc.storageKey) : undefined;
    if (copy) {
      const filename = /\.pdf$/i.test(doc.filename) ? doc.filename : `${doc.filename}.pdf`;
      return { ...copy, filename, mimeType: 'application/pdf' };
    }
    if (!(await this.files.exists(doc.storageKey))) {
      throw new DomainError('FILE_MISSING', `The stored original of "${doc.filename}" is missing from DATA_DIR.`, 410);
    }
    return {
      stream: this.files.openReadStream(doc.storageKey),
      filename: doc.filename,
      mimeType: doc.mimeType,
      sizeBytes: doc.sizeBytes,
    };
  }

  async listChunks(documentId: string, query: PageQuery): Promise<Page<ChunkView>> {
    const doc = await this.findDocument(documentId);
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
    // The chunks search sees: the live run's (while a reindex runs), else those being written.
    const [items, total] = await this.chunkEntities.findAndCount({
      where: { documentId: doc.id, ingestRun: doc.liveRun ?? doc.ingestRun },
      order: { ordinal: 'ASC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items: items.map(chunkView), total, page, pageSize };
  }

  /** Enables/disables a chunk or replaces its text; new text is embedded again first, so a failed embed changes nothing. */
  async updateChunk(chunkId: string, dto: UpdateChunkDto): Promise<ChunkView> {
    const chunk = isUuid(chunkId) ? await this.chunkEntities.findOneBy({ id: chunkId }) : null;
    if (!chunk) throw new NotFoundError('Chunk', chunkId);
    const change: Parameters<ChunkRepository['updateChunk']>[1] = { enabled: dto.enabled };
    const content = dto.content?.trim();
    if (dto.content !== undefined && !content) throw new ValidationFailedError('content must not be blank');
    if (content !== undefined && content !== chunk.content) {
      const knowledgeBase = (await this.knowledgeBases.findOneBy({ id: chunk.knowledgeBaseId }))!;
      const tokenCount = estimateTokens(content);
      const limit = effectiveSplitOptions({
        chunkSize: Number.MAX_SAFE_INTEGER,
        chunkOverlap: 0,
        contextLength: knowledgeBase.embeddingContextLength,
      }).size;
      if (tokenCount > limit) {
        throw new ValidationFailedError(
          `The text is about ${tokenCount} tokens; the embedding model takes at most ${limit} per chunk.`,
        );
      }
      const [embedding] = await this.ollama.embed([embeddingInput({ title: chunk.title, content })], {
        model: knowledgeBase.embeddingModel,
      });
      if (embedding.length !== knowledgeBase.embeddingDimension) {
        throw new DomainError(
          'EMBEDDING_DIMENSION_MISMATCH',
          `The model "${knowledgeBase.embeddingModel}" returned ${embedding.length} dimensions; this knowledge base uses ${knowledgeBase.embeddingDimension}.`,
          409,
        );
      }
      Object.assign(change, { content, title: chunk.title, tokenCount, embedding });
    }
    await this.chunks.updateChunk(chunk.id, change);
    return chunkView((await this.chunkEntities.findOneBy({ id: chunk.id }))!);
  }

  /**
   * Parses, splits and embeds the document again from its stored original (e.g. after changing chunk
   * sizes). Its current chunks keep answering searches until the new ones are ready, or if the run fails.
   */
  async reindex(id: string): Promise<DocumentView> {
    const doc = await this.findDocument(id);
    const previousRun = doc.ingestRun;
    const run = await this.db.transaction(async (tx) => {
      // The live run's chunks stay searchable until the new run replaces them (ChunkRepository.markReady);
      // chunks of an unfinished earlier run are dropped.
      const [rows]: [Array<{ ingest_run: number }>, number] = await tx.query(
        `UPDATE documents SET ingest_run = ingest_run + 1, status = 'queued', progress = 0, status_detail = NULL,
                error_code = NULL, error_message = NULL, updated_at = now()
          WHERE id = $1 RETURNING ingest_run`,
        [doc.id],
      );
      if (!rows.length) throw new NotFoundError('Document', id);
      await tx.query(
        `DELETE FROM chunks c USING documents d
          WHERE c.document_id = $1 AND d.id = c.document_id AND c.ingest_run IS DISTINCT FROM d.live_run`,
        [doc.id],
      );
      return rows[0].ingest_run;
    });
    await this.queue.cancel(doc.id, previousRun);
    const updated = await this.findDocument(doc.id);
    this.state.publishUpdated(updated);
    await this.queue.enqueueOrDefer(doc.id, run);
    return documentView(updated);
  }

  /** Removes the document, its chunks and its stored original; a job working on it stops at its next batch. */
  async remove(id: string): Promise<void> {
    const doc = await this.findDocument(id);
    await this.documents.delete({ id: doc.id });
    await this.queue.cancel(doc.id, doc.ingestRun);
    await this.files.remove(doc.storageKey);
    this.state.publishDeleted(doc.id, doc.knowledgeBaseId);
  }

  private async findDocument(id: string): Promise<Document> {
    const doc = isUuid(id) ? await this.documents.findOneBy({ id }) : null;
    if (!doc) throw new NotFoundError('Document', id);
    return doc;
  }
}

export function documentView(doc: Document): DocumentView {
  const { error } = documentEventData(doc);
  return {
    id: doc.id,
    knowledgeBaseId: doc.knowledgeBaseId,
    filename: doc.filename,
    mimeType: doc.mimeType,
    sizeBytes: doc.sizeBytes,
    sha256: doc.sha256,
    status: doc.status,
    progress: doc.progress,
    statusDetail: doc.statusDetail,
    pageCount: doc.pageCount,
    chunkCount: doc.chunkCount,
    version: doc.version,
    replacesId: doc.replacesId,
    error: error ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

function chunkView(chunk: Chunk): ChunkView {
  return {
    id: chunk.id,
    ordinal: chunk.ordinal,
    title: chunk.title,
    content: chunk.content,
    pageFrom: chunk.pageFrom,
    pageTo: chunk.pageTo,
    location: chunk.location ?? null,
    enabled: chunk.enabled,
    tokenCount: chunk.tokenCount,
  };
}
