import { Repository } from 'typeorm';
import { NotFoundError } from '../common/errors/domain-error';
import { isUuid } from '../common/validation/uuid';
import { KnowledgeBase } from './knowledge-base.entity';

/** A knowledge base by id or by slug (the id the OpenAI-compatible API and URLs use); 404 otherwise. */
export async function findKnowledgeBaseOrFail(
  repository: Repository<KnowledgeBase>,
  idOrSlug: string,
): Promise<KnowledgeBase> {
  const found = isUuid(idOrSlug)
    ? await repository.findOneBy({ id: idOrSlug })
    : await repository.findOneBy({ slug: idOrSlug });
  if (!found) throw new NotFoundError('Knowledge base', idOrSlug);
  return found;
}
