import { MigrationInterface, QueryRunner } from 'typeorm';
import {
  CHUNKS_KEYWORD_STATS_FIRST,
  DOCUMENTS_KEYWORD_STATS_FIRST,
  KEYWORD_STATS_APPLY_FIRST,
} from './1795320000000-KeywordStatistics';

/**
 * The BM25 statistics triggers do the same sums with less copying (issue #12: keeping them exact may cost at
 * most 10 % of embed + index throughput; it cost 10–11 %):
 *
 * - A chunk write aggregates only the rows that are searchable. A document's chunks are written before its
 *   run goes live, and deleted after it stopped being live, so most chunk writes now aggregate nothing;
 *   before, every row's tsvector was copied into arrays only to be filtered out.
 * - A live-run swap or a document delete sums its chunks' lexemes in one INSERT … SELECT from the chunks,
 *   instead of copying every chunk's tsvector into an array and unnesting it again.
 * - Lexemes are counted by hashing and then written in byte order (COLLATE "C"): sorting the ~100 lexemes
 *   of every chunk by the database's collation was a third of a swap's time (refman: 321,356 lexeme
 *   occurrences, 19,384 distinct).
 * - keyword_lexeme_stats no longer has a foreign key to knowledge_bases, checked once per lexeme row written
 *   (a tenth of the time); its rows go with their knowledge base's keyword_kb_stats row instead (trigger
 *   below), and every writer writes that row first, which has the foreign key.
 *
 * Lock order is unchanged in kind: documents FOR SHARE first (chunk writes), then the knowledge base's
 * statistics row, then its lexeme rows, in one order (now byte order) for every writer.
 */
export class LeanerKeywordStatistics1795323000000 implements MigrationInterface {
  name = 'LeanerKeywordStatistics1795323000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION keyword_stats_apply(kbs uuid[], vectors tsvector[], lengths int[], signs int[])
        RETURNS void LANGUAGE plpgsql AS $fn$
      BEGIN
        IF coalesce(cardinality(kbs), 0) = 0 THEN RETURN; END IF;
        INSERT INTO keyword_kb_stats AS s (knowledge_base_id, chunk_count, total_length)
          SELECT t.kb, sum(t.sign), sum(t.sign::bigint * coalesce(t.len, 0))
            FROM unnest(kbs, lengths, signs) AS t(kb, len, sign) GROUP BY t.kb ORDER BY t.kb
          ON CONFLICT (knowledge_base_id) DO UPDATE
            SET chunk_count = s.chunk_count + excluded.chunk_count, total_length = s.total_length + excluded.total_length;
        INSERT INTO keyword_lexeme_stats AS s (knowledge_base_id, lexeme, doc_freq)
          SELECT g.kb, g.lexeme, g.change FROM (
            SELECT t.kb, l.lexeme, sum(t.sign) AS change
              FROM unnest(kbs, vectors, signs) AS t(kb, vec, sign)
              CROSS JOIN LATERAL unnest(tsvector_to_array(t.vec)) AS l(lexeme)
             GROUP BY t.kb, l.lexeme HAVING sum(t.sign) <> 0) g
           ORDER BY g.kb, g.lexeme COLLATE "C"
          ON CONFLICT (knowledge_base_id, lexeme) DO UPDATE SET doc_freq = s.doc_freq + excluded.doc_freq;
      END $fn$`);

    await q.query(
      `ALTER TABLE keyword_lexeme_stats DROP CONSTRAINT IF EXISTS keyword_lexeme_stats_knowledge_base_id_fkey`,
    );
    await q.query(`
      CREATE FUNCTION keyword_kb_stats_gone() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        DELETE FROM keyword_lexeme_stats WHERE knowledge_base_id IN (SELECT knowledge_base_id FROM gone);
        RETURN NULL;
      END $fn$`);
    await q.query(`
      CREATE TRIGGER keyword_kb_stats_gone AFTER DELETE ON keyword_kb_stats
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION keyword_kb_stats_gone()`);
    // Lexeme rows whose knowledge base has no statistics row (none should exist; the foreign key saw to it).
    await q.query(`
      DELETE FROM keyword_lexeme_stats l
       WHERE NOT EXISTS (SELECT 1 FROM keyword_kb_stats s WHERE s.knowledge_base_id = l.knowledge_base_id)`);

    await q.query(`
      CREATE OR REPLACE FUNCTION chunks_keyword_stats() RETURNS trigger LANGUAGE plpgsql AS $fn$
      DECLARE kbs uuid[]; vectors tsvector[]; lengths int[]; signs int[];
      BEGIN
        -- The documents' live runs cannot change under us (completeRun, a delete) until this transaction ends.
        IF TG_OP = 'INSERT' THEN
          PERFORM 1 FROM documents d WHERE d.id IN (SELECT document_id FROM new_rows) ORDER BY d.id FOR SHARE;
          SELECT array_agg(c.knowledge_base_id), array_agg(c.search_vector), array_agg(c.keyword_length), array_agg(1)
            INTO kbs, vectors, lengths, signs
            FROM new_rows c
            JOIN documents d ON d.id = c.document_id
            JOIN knowledge_bases kb ON kb.id = c.knowledge_base_id
           WHERE chunk_is_searchable(c.enabled, c.ingest_run, d.live_run, kb.deleted_at IS NULL);
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM 1 FROM documents d WHERE d.id IN (SELECT document_id FROM old_rows) ORDER BY d.id FOR SHARE;
          SELECT array_agg(c.knowledge_base_id), array_agg(c.search_vector), array_agg(c.keyword_length), array_agg(-1)
            INTO kbs, vectors, lengths, signs
            FROM old_rows c
            JOIN documents d ON d.id = c.document_id
            JOIN knowledge_bases kb ON kb.id = c.knowledge_base_id
           WHERE chunk_is_searchable(c.enabled, c.ingest_run, d.live_run, kb.deleted_at IS NULL);
        ELSE
          PERFORM 1 FROM documents d
           WHERE d.id IN (SELECT document_id FROM new_rows UNION SELECT document_id FROM old_rows)
           ORDER BY d.id FOR SHARE;
          SELECT array_agg(x.knowledge_base_id), array_agg(x.search_vector), array_agg(x.keyword_length), array_agg(x.sign)
            INTO kbs, vectors, lengths, signs
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            CROSS JOIN LATERAL (VALUES
              (o.knowledge_base_id, o.document_id, o.ingest_run, o.enabled, o.search_vector, o.keyword_length, -1),
              (n.knowledge_base_id, n.document_id, n.ingest_run, n.enabled, n.search_vector, n.keyword_length, 1)
            ) AS x(knowledge_base_id, document_id, ingest_run, enabled, search_vector, keyword_length, sign)
            JOIN documents d ON d.id = x.document_id
            JOIN knowledge_bases kb ON kb.id = x.knowledge_base_id
           WHERE (o.enabled IS DISTINCT FROM n.enabled OR o.search_vector IS DISTINCT FROM n.search_vector
                  OR o.ingest_run IS DISTINCT FROM n.ingest_run OR o.document_id IS DISTINCT FROM n.document_id)
             AND chunk_is_searchable(x.enabled, x.ingest_run, d.live_run, kb.deleted_at IS NULL);
        END IF;
        PERFORM keyword_stats_apply(kbs, vectors, lengths, signs);
        RETURN NULL;
      END $fn$`);

    await q.query(`
      CREATE OR REPLACE FUNCTION documents_keyword_stats() RETURNS trigger LANGUAGE plpgsql AS $fn$
      DECLARE new_live int; kb_live boolean;
      BEGIN
        IF TG_OP = 'UPDATE' THEN new_live := NEW.live_run; END IF;
        SELECT kb.deleted_at IS NULL INTO kb_live FROM knowledge_bases kb WHERE kb.id = OLD.knowledge_base_id;
        IF coalesce(kb_live, false) THEN
          -- The knowledge base's row first, as every statistics writer takes it.
          INSERT INTO keyword_kb_stats AS s (knowledge_base_id, chunk_count, total_length)
            SELECT OLD.knowledge_base_id, sum(x.sign), sum(x.sign::bigint * coalesce(x.keyword_length, 0))
              FROM (SELECT c.keyword_length,
                           chunk_is_searchable(c.enabled, c.ingest_run, new_live, true)::int
                             - chunk_is_searchable(c.enabled, c.ingest_run, OLD.live_run, true)::int AS sign
                      FROM chunks c
                     WHERE c.document_id = OLD.id AND c.ingest_run IN (OLD.live_run, new_live)) x
             WHERE x.sign <> 0
            HAVING count(*) > 0
            ON CONFLICT (knowledge_base_id) DO UPDATE
              SET chunk_count = s.chunk_count + excluded.chunk_count, total_length = s.total_length + excluded.total_length;
          IF FOUND THEN
            INSERT INTO keyword_lexeme_stats AS s (knowledge_base_id, lexeme, doc_freq)
              SELECT OLD.knowledge_base_id, g.lexeme, g.change FROM (
                SELECT l.lexeme, sum(x.sign) AS change
                FROM (SELECT c.search_vector,
                             chunk_is_searchable(c.enabled, c.ingest_run, new_live, true)::int
                               - chunk_is_searchable(c.enabled, c.ingest_run, OLD.live_run, true)::int AS sign
                        FROM chunks c
                       WHERE c.document_id = OLD.id AND c.ingest_run IN (OLD.live_run, new_live)) x
                CROSS JOIN LATERAL unnest(tsvector_to_array(x.search_vector)) AS l(lexeme)
               WHERE x.sign <> 0
               GROUP BY l.lexeme HAVING sum(x.sign) <> 0) g
               ORDER BY g.lexeme COLLATE "C"
              ON CONFLICT (knowledge_base_id, lexeme) DO UPDATE SET doc_freq = s.doc_freq + excluded.doc_freq;
          END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
      END $fn$`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(CHUNKS_KEYWORD_STATS_FIRST);
    await q.query(DOCUMENTS_KEYWORD_STATS_FIRST);
    await q.query(KEYWORD_STATS_APPLY_FIRST);
    await q.query(`DROP TRIGGER keyword_kb_stats_gone ON keyword_kb_stats`);
    await q.query(`DROP FUNCTION keyword_kb_stats_gone()`);
    await q.query(`
      DELETE FROM keyword_lexeme_stats l
       WHERE NOT EXISTS (SELECT 1 FROM knowledge_bases kb WHERE kb.id = l.knowledge_base_id)`);
    await q.query(`
      ALTER TABLE keyword_lexeme_stats ADD CONSTRAINT keyword_lexeme_stats_knowledge_base_id_fkey
        FOREIGN KEY (knowledge_base_id) REFERENCES knowledge_bases(id) ON DELETE CASCADE`);
  }
}
