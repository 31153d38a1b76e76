import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { defer, map, merge, Observable, switchMap, takeWhile } from 'rxjs';
import { In, Not, Repository } from 'typeorm';
import type { ServerSentEvent } from '../common/http/server-sent-events';
import { Document, FINAL_DOCUMENT_STATUSES } from '../documents/document.entity';
import { findKnowledgeBaseOrFail } from '../knowledge-bases/knowledge-base-lookup';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { documentEventData } from './document-state.service';
import { IngestionEventsService } from './ingestion-events.service';

/**
 * The live events of one knowledge base: first a `snapshot` of its unfinished documents, then
 * `document.updated` / `document.deleted` as workers (in any process) change them, and
 * `knowledge-base.deleted` as the last one.
 */
@Injectable()
export class IngestionStreamService {
  constructor(
    @InjectRepository(KnowledgeBase) private readonly knowledgeBases: Repository<KnowledgeBase>,
    @InjectRepository(Document) private readonly documents: Repository<Document>,
    private readonly events: IngestionEventsService,
  ) {}

  /** Lazy: nothing is read or subscribed until the stream opens, and unsubscribing stops everything. */
  events$(knowledgeBaseIdOrSlug: string): Observable<ServerSentEvent> {
    return defer(async () => {
      const knowledgeBase = await findKnowledgeBaseOrFail(this.knowledgeBases, knowledgeBaseIdOrSlug);
      return { knowledgeBase, updates: await this.events.forKnowledgeBase(knowledgeBase.id) };
    }).pipe(
      switchMap(({ knowledgeBase, updates }) =>
        // Updates are subscribed before the snapshot is read, so no change falls between the two.
        merge(
          updates.pipe(map((event): ServerSentEvent => ({ event: event.type, data: event }))),
          defer(() =>
            this.documents.find({
              where: { knowledgeBaseId: knowledgeBase.id, status: Not(In([...FINAL_DOCUMENT_STATUSES])) },
              order: { createdAt: 'ASC' },
            }),
          ).pipe(
            map((unfinished): ServerSentEvent => ({
              event: 'snapshot',
              data: { knowledgeBaseId: knowledgeBase.id, documents: unfinished.map(documentEventData) },
            })),
          ),
        ),
      ),
      takeWhile((e) => e.event !== 'knowledge-base.deleted', true),
    );
  }
}
