import { Injectable } from '@nestjs/common';
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
    private readonly access: AccessService,
  ) {}

  /** The knowledge bases the caller may ask, by slug. */
  listAskable(principal: Principal): Promise<KnowledgeBase[]> {
    return this.knowledgeBases.listBySlug(this.access.visibleKnowledgeBasesCondition(principal, 'kb.id'));
  }

  /** The knowledge base a model name names; null when there is none. Access is checked by the route's guard. */
  findBySlug(slug: string): Promise<KnowledgeBase | null> {
    return this.knowledgeBases.findBySlug(slug);
  }

  /** Bytes of each knowledge base's original files. */
  storedBytes(ids: string[]): Promise<Map<string, number>> {
    return this.knowledgeBases.storedBytes(ids);
  }
}
