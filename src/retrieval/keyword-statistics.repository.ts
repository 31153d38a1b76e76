import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** How one knowledge base's stored keyword statistics differ from its chunks. */
export interface KeywordStatisticsDrift {
  knowledgeBaseId: string;
  storedChunks: number;
  expectedChunks: number;
  storedLength: number;
  expectedLength: number;
  /** Lexemes whose stored document frequency is not the number of searchable chunks holding them. */
  wrongLexemes: number;
}

/**
 * The check and repair of BM25's per-knowledge-base statistics (`keyword_kb_stats`, `keyword_lexeme_stats`),
 * which triggers keep exact (migration KeywordStatistics). Expected values come from
 * `keyword_searchable_chunks`, i.e. from the same `chunk_is_searchable` rule the triggers apply.
 */
@Injectable()
export class KeywordStatisticsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Knowledge bases (not deleted) whose statistics differ from their chunks; read in one snapshot. */
  async drift(knowledgeBaseId?: string): Promise<KeywordStatisticsDrift[]> {
    const rows: Array<{
      kb: string;
      stored_chunks: string;
      expected_chunks: string;
      stored_length: string;
      expected_length: string;
      wrong_lexemes: string;
    }> = await this.db.query(
      `WITH kbs AS (SELECT id FROM knowledge_bases WHERE deleted_at IS NULL AND ($1::uuid IS NULL OR id = $1)),
       expected_lexemes AS (
         SELECT kbs.id AS kb, l.lexeme, count(*)::int AS df
           FROM kbs CROSS JOIN LATERAL keyword_searchable_chunks(kbs.id) c
           CROSS JOIN LATERAL unnest(tsvector_to_array(c.search_vector)) AS l(lexeme)
          GROUP BY 1, 2),
       stored_lexemes AS (
         SELECT s.knowledge_base_id AS kb, s.lexeme, s.doc_freq AS df FROM keyword_lexeme_stats s
          WHERE s.doc_freq <> 0 AND s.knowledge_base_id IN (SELECT id FROM kbs)),
       wrong AS (
         SELECT coalesce(e.kb, s.kb) AS kb, count(*) AS wrong_lexemes
           FROM expected_lexemes e FULL JOIN stored_lexemes s ON s.kb = e.kb AND s.lexeme = e.lexeme
          WHERE e.df IS DISTINCT FROM s.df GROUP BY 1),
       expected_totals AS (
         SELECT kbs.id AS kb, count(c.*) AS chunks, coalesce(sum(c.keyword_length), 0) AS total
           FROM kbs LEFT JOIN LATERAL keyword_searchable_chunks(kbs.id) c ON true GROUP BY 1)
       SELECT t.kb, coalesce(k.chunk_count, 0) AS stored_chunks, t.chunks AS expected_chunks,
              coalesce(k.total_length, 0) AS stored_length, t.total AS expected_length,
              coalesce(w.wrong_lexemes, 0) AS wrong_lexemes
         FROM expected_totals t
         LEFT JOIN keyword_kb_stats k ON k.knowledge_base_id = t.kb
         LEFT JOIN wrong w ON w.kb = t.kb
        WHERE coalesce(k.chunk_count, 0) <> t.chunks OR coalesce(k.total_length, 0) <> t.total
           OR coalesce(w.wrong_lexemes, 0) > 0
        ORDER BY t.kb`,
      [knowledgeBaseId ?? null],
    );
    return rows.map((r) => ({
      knowledgeBaseId: r.kb,
      storedChunks: Number(r.stored_chunks),
      expectedChunks: Number(r.expected_chunks),
      storedLength: Number(r.stored_length),
      expectedLength: Number(r.expected_length),
      wrongLexemes: Number(r.wrong_lexemes),
    }));
  }

  /** Knowledge bases that are not deleted, for a repair of each in its own transaction. */
  async knowledgeBaseIds(): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM knowledge_bases WHERE deleted_at IS NULL ORDER BY id`,
    );
    return rows.map((r) => r.id);
  }

  /** Recomputes one knowledge base's statistics from its chunks (writers of it wait meanwhile). */
  async rebuild(knowledgeBaseId: string): Promise<void> {
    await this.db.query(`SELECT keyword_stats_rebuild($1)`, [knowledgeBaseId]);
  }

  /** The stored statistics of a knowledge base (tests, diagnostics). */
  async stored(
    knowledgeBaseId: string,
  ): Promise<{ chunks: number; totalLength: number; lexemes: Map<string, number> }> {
    const [totals]: Array<{ chunk_count: string; total_length: string }> = await this.db.query(
      `SELECT chunk_count, total_length FROM keyword_kb_stats WHERE knowledge_base_id = $1`,
      [knowledgeBaseId],
    );
    const lexemes: Array<{ lexeme: string; doc_freq: number }> = await this.db.query(
      `SELECT lexeme, doc_freq FROM keyword_lexeme_stats WHERE knowledge_base_id = $1 AND doc_freq <> 0`,
      [knowledgeBaseId],
    );
    return {
      chunks: Number(totals?.chunk_count ?? 0),
      totalLength: Number(totals?.total_length ?? 0),
      lexemes: new Map(lexemes.map((l) => [l.lexeme, l.doc_freq])),
    };
  }
}
