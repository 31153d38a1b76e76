import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KnowledgeBaseEventsService } from './knowledge-base-events.service';
import { KnowledgeBase } from './knowledge-base.entity';
import { KnowledgeBaseRepository } from './knowledge-base.repository';

/** What both roles need of knowledge bases: the repository and the events channel. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([KnowledgeBase])],
  providers: [KnowledgeBaseRepository, KnowledgeBaseEventsService],
  exports: [KnowledgeBaseRepository, KnowledgeBaseEventsService],
})
export class KnowledgeBasesCoreModule {}
