import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { ChunkSearchRepository } from './chunk-search.repository';
import { KeywordStatisticsRepository } from './keyword-statistics.repository';
import { RetrievalController } from './retrieval.controller';
import { RetrievalService } from './retrieval.service';

/** Search over chunks: hybrid / vector / keyword, all in PostgreSQL. */
@Module({
  imports: [TypeOrmModule.forFeature([KnowledgeBase])],
  controllers: [RetrievalController],
  providers: [ChunkSearchRepository, KeywordStatisticsRepository, RetrievalService],
  exports: [RetrievalService, KeywordStatisticsRepository],
})
export class RetrievalModule {}
