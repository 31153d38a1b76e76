import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { ChunkSearchRepository } from './chunk-search.repository';
import { RetrievalController } from './retrieval.controller';
import { RetrievalService } from './retrieval.service';

/** Search over chunks: hybrid / vector / keyword, all in PostgreSQL. */
@Module({
  imports: [TypeOrmModule.forFeature([KnowledgeBase])],
  controllers: [RetrievalController],
  providers: [ChunkSearchRepository, RetrievalService],
  exports: [RetrievalService],
})
export class RetrievalModule {}
