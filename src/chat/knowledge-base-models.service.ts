import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AccessService } from '../auth/access.service';
import type { Principal } from '../auth/principal';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { KnowledgeBaseRepository } from '../knowledge-bases/knowledge-base.repository';

/**
 * Knowledge bases as models, for the APIs that copy a model server (/v1, /ollama): a knowledge base's
 * model name is its slug, and a caller lists the ones it may ask.
 */
@Injectable()
export class KnowledgeBaseModelsService {
  constructor(
    private readonly knowledgeBases: KnowledgeBaseRepository,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The knowledge bases the caller may ask, by slug. */
  listAskable(principal?: Principal): Promise<KnowledgeBase[]> {
    const access = this.accessService();
    return this.knowledgeBases.listBySlug(
      principal && access ? access.visibleKnowledgeBasesCondition(principal, 'kb.id') : undefined,
    );
  }

  /** The knowledge base a model name names; null when there is none. Access is checked by the route's guard. */
  findBySlug(slug: string): Promise<KnowledgeBase | null> {
    return this.knowledgeBases.findBySlug(slug);
  }

  /** Bytes of each knowledge base's original files. */
  storedBytes(ids: string[]): Promise<Map<string, number>> {
    return this.knowledgeBases.storedBytes(ids);
  }

  /** The accounts module's access rules, when it is loaded (it is in the app; it may not be in a bare test module). */
  private accessService(): AccessService | undefined {
    try {
      return this.moduleRef.get(AccessService, { strict: false });
    } catch {
      return undefined;
    }
  }
}
