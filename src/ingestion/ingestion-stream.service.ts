import { Injectable } from '@nestjs/common';
import { defer, map, merge, Observable, switchMap, takeWhile } from 'rxjs';
import type { ServerSentEvent } from '../common/http/server-sent-events';
import { toDocumentView } from '../documents/document-view.mapper';
import { DocumentRepository } from '../documents/document.repository';
import { KnowledgeBaseEventsService } from '../knowledge-bases/knowledge-base-events.service';
import { KnowledgeBaseRepository } from '../knowledge-bases/knowledge-base.repository';

/**
 * The live events of one knowledge base: first a `snapshot` of its unfinished documents, then
 * `document.updated` / `document.deleted` as workers (in any process) change them, and
 * `knowledge-base.deleted` as the last one.
 */
@Injectable()
export class IngestionStreamService {
  constructor(
    private readonly knowledgeBases: KnowledgeBaseRepository,
    private readonly documents: DocumentRepository,
    private readonly events: KnowledgeBaseEventsService,
  ) {}

  /** Lazy: nothing is read or subscribed until the stream opens, and unsubscribing stops everything. */
  events$(knowledgeBaseIdOrSlug: string): Observable<ServerSentEvent> {
    return defer(async () => {
      const knowledgeBase = await this.knowledgeBases.findOrFail(knowledgeBaseIdOrSlug);
      return { knowledgeBase, updates: await this.events.forKnowledgeBase(knowledgeBase.id) };
    }).pipe(
      switchMap(({ knowledgeBase, updates }) =>
        // Updates are subscribed before the snapshot is read, so no change falls between the two.
        merge(
          updates.pipe(map((event): ServerSentEvent => ({ event: event.type, data: event }))),
          defer(() => this.documents.unfinishedOf(knowledgeBase.id)).pipe(
            map((unfinished): ServerSentEvent => ({
              event: 'snapshot',
              data: { knowledgeBaseId: knowledgeBase.id, documents: unfinished.map(toDocumentView) },
            })),
          ),
        ),
      ),
      takeWhile((e) => e.event !== 'knowledge-base.deleted', true),
    );
  }
}
