import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { openEventStream } from '../common/http/server-sent-events';
import { toDocumentView } from '../documents/document-view.mapper';
import { DocumentRepository } from '../documents/document.repository';
import { KnowledgeBaseEventsService } from '../knowledge-bases/knowledge-base-events.service';
import { KnowledgeBaseRepository } from '../knowledge-bases/knowledge-base.repository';

/**
 * Server-sent events of one knowledge base: first a `snapshot` of its unfinished documents, then
 * `document.updated` / `document.deleted` as workers (in any process) change them, and
 * `knowledge-base.deleted` before the stream ends. A comment line every 15 s keeps proxies from
 * closing an idle stream.
 */
@Injectable()
export class IngestionStreamService {
  constructor(
    private readonly knowledgeBases: KnowledgeBaseRepository,
    private readonly documents: DocumentRepository,
    private readonly events: KnowledgeBaseEventsService,
  ) {}

  async stream(knowledgeBaseIdOrSlug: string, req: Request, res: Response): Promise<void> {
    const knowledgeBase = await this.knowledgeBases.findOrFail(knowledgeBaseIdOrSlug);
    const updates = await this.events.forKnowledgeBase(knowledgeBase.id);

    const stream = openEventStream(res);
    stream.write('retry: 3000\n\n');

    // Subscribed before the snapshot is read, so no change falls between the two.
    const subscription = updates.subscribe((event) => {
      stream.send(event.type, event);
      if (event.type === 'knowledge-base.deleted') stream.end();
    });
    // The keep-alive stops by itself when the response closes.
    const unsubscribe = (): void => subscription.unsubscribe();
    req.on('close', unsubscribe);
    res.on('close', unsubscribe);

    const unfinished = await this.documents.unfinishedOf(knowledgeBase.id);
    stream.send('snapshot', { knowledgeBaseId: knowledgeBase.id, documents: unfinished.map(toDocumentView) });
  }
}
