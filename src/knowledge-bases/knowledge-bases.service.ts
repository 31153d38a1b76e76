import { Inject, Injectable, Logger } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { DomainError, ValidationFailedError } from '../common/errors/domain-error';
import { effectiveSplitOptions } from '../common/text/chunk-limits';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MAX_EMBEDDING_DIMENSION } from '../database/vector-limits';
import { OllamaClientService } from '../llm/ollama-client.service';
import { ModelNotInstalledError, OllamaModelNotFoundError } from '../llm/ollama-errors';
import { CreateKnowledgeBaseDto } from './dto/create-knowledge-base.dto';
import { KnowledgeBaseSettingsDto } from './dto/knowledge-base-settings.dto';
import { UpdateKnowledgeBaseDto } from './dto/update-knowledge-base.dto';
import { KnowledgeBaseContentsPurger } from './knowledge-base-contents-purger';
import { KnowledgeBaseEventsService } from './knowledge-base-events.service';
import { KnowledgeBase, KnowledgeBaseSettings } from './knowledge-base.entity';
import { KnowledgeBaseRepository } from './knowledge-base.repository';
import { slugFromName, withRandomSuffix } from './slug';

export const DEFAULT_CHUNK_SIZE = 400;
export const DEFAULT_CHUNK_OVERLAP = 60;
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

/** The answer to a deletion: gone for every user at once; contents are removed in the background. */
export interface KnowledgeBaseDeletion {
  id: string;
  deleted: true;
}

/** Knowledge bases: created with the embedding model's dimension from Ollama; deleted with every document, vector and file. */
@Injectable()
export class KnowledgeBasesService {
  private readonly logger = new Logger(KnowledgeBasesService.name);

  constructor(
    private readonly knowledgeBases: KnowledgeBaseRepository,
    private readonly ollama: OllamaClientService,
    private readonly purger: KnowledgeBaseContentsPurger,
    private readonly events: KnowledgeBaseEventsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(dto: CreateKnowledgeBaseDto, principal: Principal): Promise<KnowledgeBaseView> {
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
        const saved = await this.knowledgeBases.insert({
          slug,
          name: dto.name,
          description: dto.description ?? '',
          embeddingModel,
          embeddingDimension: model.dimension,
          embeddingContextLength: model.contextLength ?? null,
          chunkSize,
          chunkOverlap,
          settings: cleanSettings(dto.settings),
          ownerId: principal.userId,
        });
        return this.view(saved, 0, 0);
      } catch (err) {
        if ((err as { code?: string }).code !== POSTGRES_UNIQUE_VIOLATION || attempt >= 5) throw err;
      }
    }
  }

  /** Newest first, with their document and (ready) chunk counts. Accounts narrow this to what the caller may see. */
  async list(knowledgeBaseIds?: string[]): Promise<KnowledgeBaseView[]> {
    if (knowledgeBaseIds && !knowledgeBaseIds.length) return [];
    const visible = await this.knowledgeBases.list(knowledgeBaseIds);
    const counts = await this.knowledgeBases.counts(visible.map((kb) => kb.id));
    return visible.map((kb) => this.view(kb, counts.get(kb.id)?.documents ?? 0, counts.get(kb.id)?.chunks ?? 0));
  }

  async get(idOrSlug: string): Promise<KnowledgeBaseView> {
    const kb = await this.knowledgeBases.findOrFail(idOrSlug);
    const counts = (await this.knowledgeBases.counts([kb.id])).get(kb.id);
    return this.view(kb, counts?.documents ?? 0, counts?.chunks ?? 0);
  }

  async update(idOrSlug: string, dto: UpdateKnowledgeBaseDto): Promise<KnowledgeBaseView> {
    const kb = await this.knowledgeBases.findOrFail(idOrSlug);
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

  /**
   * Deletes the knowledge base: at once it is gone from every list and route (and its slug is free), its
   * event streams end, and its documents, chunks, vectors and files are purged in the background — a
   * million chunks take minutes, which no HTTP request should wait for. A worker's reconciler finishes a
   * purge that was interrupted.
   */
  async remove(idOrSlug: string): Promise<KnowledgeBaseDeletion> {
    const kb = await this.knowledgeBases.findOrFail(idOrSlug);
    if (await this.knowledgeBases.markDeleted(kb.id)) {
      this.events.publish({ type: 'knowledge-base.deleted', knowledgeBaseId: kb.id });
    }
    void this.purger
      .purge(kb.id)
      .catch((err: Error) =>
        this.logger.warn(`purging deleted knowledge base ${kb.id} failed (the reconciler retries): ${err.message}`),
      );
    return { id: kb.id, deleted: true };
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
