import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { Principal } from '../auth/principal';
import { DomainError, ValidationFailedError } from '../common/errors/domain-error';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ChunkRepository } from '../documents/chunk.repository';
import { DocumentFileStore } from '../documents/document-file-store';
import { Document } from '../documents/document.entity';
import { IngestionEventsService } from '../ingestion/ingestion-events.service';
import { IngestionQueueService } from '../ingestion/ingestion-queue.service';
import { effectiveSplitOptions } from '../ingestion/splitting/text-splitter';
import { OllamaClientService } from '../llm/ollama-client.service';
import { ModelNotInstalledError, OllamaModelNotFoundError } from '../llm/ollama-errors';
import { CreateKnowledgeBaseDto } from './dto/create-knowledge-base.dto';
import { KnowledgeBaseSettingsDto } from './dto/knowledge-base-settings.dto';
import { UpdateKnowledgeBaseDto } from './dto/update-knowledge-base.dto';
import { findKnowledgeBaseOrFail } from './knowledge-base-lookup';
import { KnowledgeBase, KnowledgeBaseSettings } from './knowledge-base.entity';
import { slugFromName, withRandomSuffix } from './slug';

export const DEFAULT_CHUNK_SIZE = 400;
export const DEFAULT_CHUNK_OVERLAP = 60;
/** halfvec (and its HNSW index) holds at most this many dimensions. */
const MAX_EMBEDDING_DIMENSION = 4_000;
const POSTGRES_UNIQUE_VIOLATION = '23505';

export interface KnowledgeBaseView {
  id: string;
  slug: string;
  name: string;
  description: string;
  embeddingModel: string;
  embeddingDimension: number;
  embeddingContextLength: number | null;
  chunkSize: number;
  chunkOverlap: number;
  settings: KnowledgeBaseSettings;
  ownerId: string | null;
  documentCount: number;
  chunkCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Knowledge bases: created with the embedding model's dimension from Ollama; deleted with every document, vector and file. */
@Injectable()
export class KnowledgeBasesService {
  constructor(
    @InjectRepository(KnowledgeBase) private readonly knowledgeBases: Repository<KnowledgeBase>,
    @InjectRepository(Document) private readonly documents: Repository<Document>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly ollama: OllamaClientService,
    private readonly queue: IngestionQueueService,
    private readonly files: DocumentFileStore,
    private readonly chunks: ChunkRepository,
    private readonly events: IngestionEventsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(dto: CreateKnowledgeBaseDto, principal?: Principal): Promise<KnowledgeBaseView> {
    const embeddingModel = dto.embeddingModel || this.config.embeddingModel;
    // A model Ollama lacks is the caller's choice gone wrong (422); an unreachable Ollama stays a 503.
    const model = await this.ollama.showModel(embeddingModel).catch((err: unknown) => {
      throw err instanceof OllamaModelNotFoundError ? new ModelNotInstalledError(embeddingModel) : err;
    });
    if (!model.dimension) {
      throw new DomainError(
        'NOT_AN_EMBEDDING_MODEL',
        `"${embeddingModel}" is not an embedding model (Ollama reports no embedding size). Use one such as bge-m3 (ollama pull bge-m3).`,
        400,
      );
    }
    if (model.dimension > MAX_EMBEDDING_DIMENSION) {
      throw new DomainError(
        'EMBEDDING_DIMENSION_TOO_LARGE',
        `"${embeddingModel}" makes ${model.dimension}-dimensional vectors; zhiku stores at most ${MAX_EMBEDDING_DIMENSION}.`,
        400,
      );
    }
    const chunkSize = dto.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const chunkOverlap = dto.chunkOverlap ?? Math.min(DEFAULT_CHUNK_OVERLAP, Math.floor(chunkSize / 2));
    this.checkChunking(chunkSize, chunkOverlap, model.contextLength ?? null);

    for (let attempt = 0; ; attempt++) {
      const base = slugFromName(dto.name);
      const slug = attempt === 0 ? base : withRandomSuffix(base);
      try {
        const saved = await this.knowledgeBases.save(
          this.knowledgeBases.create({
            slug,
            name: dto.name,
            description: dto.description ?? '',
            embeddingModel,
            embeddingDimension: model.dimension,
            embeddingContextLength: model.contextLength ?? null,
            chunkSize,
            chunkOverlap,
            settings: cleanSettings(dto.settings),
            ownerId: principal?.userId ?? null,
          }),
        );
        return this.view(saved, 0, 0);
      } catch (err) {
        if ((err as { code?: string }).code !== POSTGRES_UNIQUE_VIOLATION || attempt >= 5) throw err;
      }
    }
  }

  /** Newest first, with their document and (ready) chunk counts. Accounts narrow this to what the caller may see. */
  async list(knowledgeBaseIds?: string[]): Promise<KnowledgeBaseView[]> {
    if (knowledgeBaseIds && !knowledgeBaseIds.length) return [];
    const all = await this.knowledgeBases.find({ order: { createdAt: 'DESC' } });
    const visible = knowledgeBaseIds ? all.filter((kb) => knowledgeBaseIds.includes(kb.id)) : all;
    const counts = await this.counts(visible.map((kb) => kb.id));
    return visible.map((kb) => this.view(kb, counts.get(kb.id)?.documents ?? 0, counts.get(kb.id)?.chunks ?? 0));
  }

  async get(idOrSlug: string): Promise<KnowledgeBaseView> {
    const kb = await findKnowledgeBaseOrFail(this.knowledgeBases, idOrSlug);
    const counts = (await this.counts([kb.id])).get(kb.id);
    return this.view(kb, counts?.documents ?? 0, counts?.chunks ?? 0);
  }

  async update(idOrSlug: string, dto: UpdateKnowledgeBaseDto): Promise<KnowledgeBaseView> {
    const kb = await findKnowledgeBaseOrFail(this.knowledgeBases, idOrSlug);
    if (dto.name !== undefined) kb.name = dto.name;
    if (dto.description !== undefined) kb.description = dto.description;
    if (dto.chunkSize !== undefined) kb.chunkSize = dto.chunkSize;
    if (dto.chunkOverlap !== undefined) kb.chunkOverlap = dto.chunkOverlap;
    else if (dto.chunkSize !== undefined) kb.chunkOverlap = Math.min(kb.chunkOverlap, Math.floor(kb.chunkSize / 2));
    this.checkChunking(kb.chunkSize, kb.chunkOverlap, kb.embeddingContextLength);
    if (dto.settings) kb.settings = cleanSettings({ ...kb.settings, ...dto.settings });
    await this.knowledgeBases.save(kb);
    return this.get(kb.id);
  }

  /** Removes the knowledge base with all its documents, chunks and stored files; running jobs stop at their next batch. */
  async remove(idOrSlug: string): Promise<void> {
    const kb = await findKnowledgeBaseOrFail(this.knowledgeBases, idOrSlug);
    const docs = await this.documents.find({
      where: { knowledgeBaseId: kb.id },
      select: { id: true, ingestRun: true, storageKey: true },
    });
    await this.knowledgeBases.delete({ id: kb.id });
    await Promise.all(docs.map((d) => this.queue.cancel(d.id, d.ingestRun)));
    await this.files.remove(...docs.map((d) => d.storageKey));
    // In the background: DROP INDEX CONCURRENTLY waits for any index build on chunks to finish. If it
    // fails, the worker's reconciler drops indexes whose knowledge base is gone.
    void this.chunks.dropVectorIndex(kb.id).catch(() => undefined);
    this.events.publish({ type: 'knowledge-base.deleted', knowledgeBaseId: kb.id });
  }

  private checkChunking(chunkSize: number, chunkOverlap: number, contextLength: number | null): void {
    if (chunkOverlap > chunkSize / 2) {
      throw new ValidationFailedError(
        `chunkOverlap (${chunkOverlap}) must be at most half of chunkSize (${chunkSize}).`,
      );
    }
    if (contextLength && effectiveSplitOptions({ chunkSize, chunkOverlap, contextLength }).size < chunkSize) {
      throw new ValidationFailedError(
        `chunkSize ${chunkSize} does not fit the embedding model's context of ${contextLength} tokens; use at most ${
          effectiveSplitOptions({ chunkSize, chunkOverlap, contextLength }).size
        }.`,
      );
    }
  }

  private async counts(ids: string[]): Promise<Map<string, { documents: number; chunks: number }>> {
    if (!ids.length) return new Map();
    const rows: Array<{ knowledge_base_id: string; documents: number; chunks: number }> = await this.db.query(
      `SELECT knowledge_base_id, count(*)::int AS documents,
              coalesce(sum(chunk_count) FILTER (WHERE status = 'ready'), 0)::int AS chunks
         FROM documents WHERE knowledge_base_id = ANY($1::uuid[]) GROUP BY knowledge_base_id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.knowledge_base_id, { documents: r.documents, chunks: r.chunks }]));
  }

  private view(kb: KnowledgeBase, documentCount: number, chunkCount: number): KnowledgeBaseView {
    return {
      id: kb.id,
      slug: kb.slug,
      name: kb.name,
      description: kb.description,
      embeddingModel: kb.embeddingModel,
      embeddingDimension: kb.embeddingDimension,
      embeddingContextLength: kb.embeddingContextLength,
      chunkSize: kb.chunkSize,
      chunkOverlap: kb.chunkOverlap,
      settings: kb.settings ?? {},
      ownerId: kb.ownerId,
      documentCount,
      chunkCount,
      createdAt: kb.createdAt,
      updatedAt: kb.updatedAt,
    };
  }
}

/** Settings without unset keys (a `null` in a PATCH removes an override). */
function cleanSettings(settings?: KnowledgeBaseSettingsDto | KnowledgeBaseSettings): KnowledgeBaseSettings {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings ?? {}))
    if (value !== null && value !== undefined) out[key] = value;
  return out as KnowledgeBaseSettings;
}
