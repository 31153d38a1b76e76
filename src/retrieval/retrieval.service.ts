import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DomainError, ValidationFailedError } from '../common/errors/domain-error';
import { segmentForKeywords } from '../common/text/keyword-segmenter';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { findKnowledgeBaseOrFail } from '../knowledge-bases/knowledge-base-lookup';
import { OllamaClientService } from '../llm/ollama-client.service';
import { ChunkCandidate, ChunkSearchRepository } from './chunk-search.repository';
import { bm25Idf, keywordCandidateClauses } from './keyword-terms';
import type { SearchDto } from './dto/search.dto';
import {
  DEFAULT_FUSION,
  DEFAULT_MIN_SCORE,
  type FusionWeights,
  DEFAULT_SEARCH_MODE,
  DEFAULT_TOP_K,
  MAX_TOP_K,
  SEARCH_MODES,
  SearchHit,
  SearchMode,
  SearchOptions,
  SearchOutcome,
} from './retrieval.types';

/** Each leg contributes this many candidates per requested result (at least MIN_CANDIDATES) to fusion. */
const CANDIDATES_PER_RESULT = 4;
const MIN_CANDIDATES = 40;

/** The REST shape of a hit (with each leg's rank and score, for the hit test). */
export type SearchResultItem = SearchHit;

/**
 * Finds the passages of a knowledge base that answer a query: embeds the query with the knowledge base's
 * own embedding model, runs the search SQL, then applies minScore and topK.
 */
@Injectable()
export class RetrievalService {
  constructor(
    @InjectRepository(KnowledgeBase) private readonly knowledgeBases: Repository<KnowledgeBase>,
    private readonly chunks: ChunkSearchRepository,
    private readonly ollama: OllamaClientService,
  ) {}

  async getKnowledgeBase(id: string): Promise<KnowledgeBase> {
    return findKnowledgeBaseOrFail(this.knowledgeBases, id);
  }

  /** POST /api/knowledge-bases/:id/search */
  async searchKnowledgeBase(
    id: string,
    dto: SearchDto,
  ): Promise<{ results: SearchResultItem[]; timings: SearchOutcome['timings'] }> {
    const kb = await this.getKnowledgeBase(id);
    const { results, timings } = await this.search(kb, dto.query, dto);
    return { results, timings };
  }

  async search(kb: KnowledgeBase, query: string, options: SearchOptions = {}): Promise<SearchOutcome> {
    if (!query?.trim()) throw new ValidationFailedError('query must not be empty');
    const mode = options.mode ?? validMode(kb.settings?.searchMode) ?? DEFAULT_SEARCH_MODE;
    const topK = clampTopK(options.topK ?? kb.settings?.topK ?? DEFAULT_TOP_K);
    const minScore = options.minScore ?? finiteOrUndefined(kb.settings?.minScore) ?? DEFAULT_MIN_SCORE;
    const candidates = Math.max(MIN_CANDIDATES, topK * CANDIDATES_PER_RESULT);
    const keywordText = segmentForKeywords(query);

    let embedMs = 0;
    let embedding: number[] | undefined;
    if (mode !== 'keyword') {
      const started = performance.now();
      [embedding] = await this.ollama.embed([query], { model: kb.embeddingModel, signal: options.signal });
      embedMs = elapsed(started);
      if (embedding.length !== kb.embeddingDimension) {
        throw new DomainError(
          'EMBEDDING_DIMENSION_MISMATCH',
          `The embedding model "${kb.embeddingModel}" now returns ${embedding.length}-dimensional vectors, but this ` +
            `knowledge base was indexed with ${kb.embeddingDimension}. Put the original model back in Ollama, or ` +
            're-index the documents into a new knowledge base.',
          409,
        );
      }
    }

    const started = performance.now();
    const keywordTerms = keywordText ? keywordText.split(' ') : [];
    // Vector mode too: every hit reports its BM25 score.
    const [efSearch, keywordQuery] = await Promise.all([
      this.chunks.vectorSearchWidth(kb.id),
      this.chunks.analyzeKeywordQuery(kb.id, query, keywordTerms),
    ]);
    const candidateClauses = mode !== 'vector' ? keywordCandidateClauses(keywordQuery) : undefined;
    const fusion = mode === 'hybrid' ? (options.fusion ?? fusionOf(kb)) : null;
    const fused = await this.chunks.search({
      knowledgeBaseId: kb.id,
      mode,
      dimension: kb.embeddingDimension,
      embedding,
      keywords: keywordQuery,
      candidateClauses,
      keywordRanking: options.keywordRanking,
      fusion: fusion ?? undefined,
      candidates,
      efSearch,
    });
    const searchMs = elapsed(started);

    const passes = (c: ChunkCandidate): boolean =>
      mode === 'keyword' || (c.vectorScore ?? -Infinity) >= minScore || (mode === 'hybrid' && c.keywordRank !== null);
    const passed = fused.filter(passes);
    const results: SearchHit[] = passed.slice(0, topK).map((c) => ({
      chunkId: c.chunkId,
      documentId: c.documentId,
      documentName: c.documentName,
      title: c.title,
      content: c.content,
      pageFrom: c.pageFrom,
      pageTo: c.pageTo,
      location: c.location,
      score: round(c.score),
      vectorScore: c.vectorScore === null ? null : round(c.vectorScore),
      keywordScore: round(c.keywordScore ?? 0),
      vectorRank: c.vectorRank,
      keywordRank: c.keywordRank,
    }));

    const leg = (rank: 'vectorRank' | 'keywordRank', score: 'vectorScore' | 'keywordScore') =>
      fused
        .filter((c) => c[rank] !== null)
        .sort((a, b) => (a[rank] as number) - (b[rank] as number))
        .map((c) => ({ chunkId: c.chunkId, rank: c[rank] as number, score: round(c[score] ?? 0) }));
    return {
      results,
      timings: { embedMs, searchMs },
      trace: {
        mode,
        query,
        keywordQuery: keywordText,
        keywordLexemes: keywordQuery.lexemes.map((l) => ({
          ...l,
          idf: round(bm25Idf(l.docFreq, keywordQuery.chunkCount)),
        })),
        keywordStatistics: {
          chunkCount: keywordQuery.chunkCount,
          averageLength: round(keywordQuery.averageLength),
        },
        fusion,
        keywordCandidates: candidateClauses?.map((clause) => clause.join(' & ')) ?? [],
        topK,
        minScore,
        candidatesPerLeg: candidates,
        vectorLeg: mode === 'keyword' ? [] : leg('vectorRank', 'vectorScore'),
        keywordLeg: mode === 'vector' ? [] : leg('keywordRank', 'keywordScore'),
        fused: fused.map((c) => ({
          chunkId: c.chunkId,
          score: round(c.score),
          passed: passes(c),
          vectorRank: c.vectorRank,
          vectorScore: c.vectorRank === null || c.vectorScore === null ? null : round(c.vectorScore),
          keywordRank: c.keywordRank,
          keywordScore: c.keywordRank === null || c.keywordScore === null ? null : round(c.keywordScore),
        })),
      },
    };
  }
}

/** The knowledge base's hybrid weights (settings.vectorWeight, settings.keywordWeight) over the defaults. */
function fusionOf(kb: KnowledgeBase): FusionWeights {
  const weight = (value: unknown, fallback: number): number =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
  return {
    ...DEFAULT_FUSION,
    vectorWeight: weight(kb.settings?.vectorWeight, DEFAULT_FUSION.vectorWeight),
    keywordWeight: weight(kb.settings?.keywordWeight, DEFAULT_FUSION.keywordWeight),
  };
}

function validMode(mode: unknown): SearchMode | undefined {
  return SEARCH_MODES.includes(mode as SearchMode) ? (mode as SearchMode) : undefined;
}

function finiteOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function clampTopK(value: number): number {
  return Number.isInteger(value) ? Math.min(MAX_TOP_K, Math.max(1, value)) : DEFAULT_TOP_K;
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
