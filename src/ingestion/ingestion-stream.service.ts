import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { In, Not, Repository } from 'typeorm';
import { openEventStream } from '../common/http/server-sent-events';
import { Document, FINAL_DOCUMENT_STATUSES } from '../documents/document.entity';
import { findKnowledgeBaseOrFail } from '../knowledge-bases/knowledge-base-lookup';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { documentEventData } from './document-state.service';
import { IngestionEventsService } from './ingestion-events.service';

/**
 * Server-sent events of one knowledge base: first a `snapshot` of its unfinished documents, then
 * `document.updated` / `document.deleted` as workers (in any process) change them, and
 * `knowledge-base.deleted` before the stream ends. A comment line every 15 s keeps proxies from
 * closing an idle stream.
 */
@Injectable()
export class IngestionStreamService {
  constructor(
    @InjectRepository(KnowledgeBase) private readonly knowledgeBases: Repository<KnowledgeBase>,
    @InjectRepository(Document) private readonly documents: Repository<Document>,
    private readonly events: IngestionEventsService,
  ) {}

  async stream(knowledgeBaseIdOrSlug: string, req: Request, res: Response): Promise<void> {
    const knowledgeBase = await findKnowledgeBaseOrFail(this.knowledgeBases, knowledgeBaseIdOrSlug);
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

    const unfinished = await this.documents.find({
      where: { knowledgeBaseId: knowledgeBase.id, status: Not(In([...FINAL_DOCUMENT_STATUSES])) },
      order: { createdAt: 'ASC' },
    });
    stream.send('snapshot', { knowledgeBaseId: knowledgeBase.id, documents: unfinished.map(documentEventData) });
  }
}
