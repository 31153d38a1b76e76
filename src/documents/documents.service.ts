import { ReadStream } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { DomainError, NotFoundError, ValidationFailedError } from '../common/errors/domain-error';
import { effectiveSplitOptions, embeddingInput } from '../common/text/chunk-limits';
import { estimateTokens } from '../common/text/token-estimate';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { KnowledgeBaseRepository } from '../knowledge-bases/knowledge-base.repository';
import { OllamaClientService } from '../llm/ollama-client.service';
import { ChunkRepository } from './chunk.repository';
import { DocumentFileStore } from './document-file-store';
import { DocumentLifecycle } from './document-lifecycle.service';
import { ChunkView, DocumentView, toChunkView, toDocumentView } from './document-view.mapper';
import { Document, DocumentStatus } from './document.entity';
import { DocumentRepository } from './document.repository';
import { ListDocumentsQuery, PageQuery } from './dto/list-documents.query';
import { UpdateChunkDto } from './dto/update-chunk.dto';
import { checkStoredContent, detectMimeType, validateFilename } from './upload/file-type';
import { StoredUpload } from './upload/hashing-disk-storage';

export type { ChunkView, DocumentView } from './document-view.mapper';

export interface UploadedDocument {
  id: string;
  filename: string;
  status: DocumentStatus;
  /** True when these exact bytes were already in the knowledge base: the existing document is returned, nothing is queued. */
  duplicate: boolean;
  version: number;
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
    private readonly documents: DocumentRepository,
    private readonly knowledgeBases: KnowledgeBaseRepository,
    private readonly chunks: ChunkRepository,
    private readonly files: DocumentFileStore,
    private readonly lifecycle: DocumentLifecycle,
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
  ): Promise<{ documents: UploadedDocument[] }> {
    const stored = uploads ?? [];
    let checked: Array<StoredUpload & { filename: string; mimeType: string }>;
    let knowledgeBase: KnowledgeBase;
    try {
      if (!stored.length) {
        throw new DomainError('NO_FILES', 'Send 1 to 50 files as multipart/form-data in the field "files".', 400);
      }
      knowledgeBase = await this.knowledgeBases.findOrFail(knowledgeBaseIdOrSlug);
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
    const { document, duplicate } = await this.lifecycle.register({
      knowledgeBaseId: knowledgeBase.id,
      filename: file.filename,
      mimeType: file.mimeType,
      sizeBytes: file.size,
      sha256: file.sha256,
      storageKey: file.storageKey,
    });
    return {
      id: document.id,
      filename: document.filename,
      status: document.status,
      duplicate,
      version: document.version,
    };
  }

  async list(knowledgeBaseIdOrSlug: string, query: ListDocumentsQuery): Promise<Page<DocumentView>> {
    const knowledgeBase = await this.knowledgeBases.findOrFail(knowledgeBaseIdOrSlug);
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
    const { items, total } = await this.documents.page(knowledgeBase.id, {
      status: query.status,
      filenameContains: query.q,
      page,
      pageSize,
    });
    return { items: items.map(toDocumentView), total, page, pageSize };
  }

  async get(id: string): Promise<DocumentView> {
    return toDocumentView(await this.findDocument(id));
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
    const { items, total } = await this.chunks.page(doc.id, doc.liveRun ?? doc.ingestRun, page, pageSize);
    return { items: items.map(toChunkView), total, page, pageSize };
  }

  /** Enables/disables a chunk or replaces its text; new text is embedded again first, so a failed embed changes nothing. */
  async updateChunk(chunkId: string, dto: UpdateChunkDto): Promise<ChunkView> {
    const chunk = await this.chunks.findById(chunkId);
    if (!chunk) throw new NotFoundError('Chunk', chunkId);
    const change: Parameters<ChunkRepository['updateChunk']>[1] = { enabled: dto.enabled };
    const content = dto.content?.trim();
    if (dto.content !== undefined && !content) throw new ValidationFailedError('content must not be blank');
    if (content !== undefined && content !== chunk.content) {
      const knowledgeBase = await this.knowledgeBases.findById(chunk.knowledgeBaseId);
      if (!knowledgeBase) throw new NotFoundError('Chunk', chunkId);
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
    return toChunkView((await this.chunks.findById(chunk.id))!);
  }

  /**
   * Parses, splits and embeds the document again from its stored original (e.g. after changing chunk
   * sizes). Its current chunks keep answering searches until the new ones are ready, or if the run fails.
   */
  async reindex(id: string): Promise<DocumentView> {
    const restarted = await this.lifecycle.reindex(await this.findDocument(id));
    if (!restarted) throw new NotFoundError('Document', id);
    return toDocumentView(restarted);
  }

  /** Removes the document, its chunks and its stored original; a job working on it stops at its next step. */
  async remove(id: string): Promise<void> {
    if (!(await this.lifecycle.remove((await this.findDocument(id)).id))) throw new NotFoundError('Document', id);
  }

  private async findDocument(id: string): Promise<Document> {
    const doc = await this.documents.findById(id);
    if (!doc) throw new NotFoundError('Document', id);
    return doc;
  }
}
