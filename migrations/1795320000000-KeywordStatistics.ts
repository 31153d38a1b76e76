import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * BM25 for the keyword leg (issue #12):
 *
 * - Identifiers (`R_PAPERSIZE`, `as.numeric`, `\newpage`, `x^3`) become lexemes of their own, unstemmed and
 *   lower-cased, beside the pieces the text configuration makes of them: `keyword_vector(segmented, raw)`
 *   is the one definition of a chunk's `search_vector`, and `keyword_identifiers` reads queries the same way.
 * - `keyword_length` (tokens in `search_vector`) is BM25's passage length.
 * - `keyword_kb_stats` (searchable chunks and their total length per knowledge base) and
 *   `keyword_lexeme_stats` (how many searchable chunks of a knowledge base hold each lexeme) are kept exact
 *   by triggers, in the transaction of every write that changes what is searchable.
 *
 * What "searchable" means is `chunk_is_searchable` (enabled, of its document's live run, in a knowledge base
 * not deleted); every trigger and the check/repair functions use it. Each trigger applies the change of
 * the rows it sees through `keyword_stats_apply`, which locks the knowledge base's row before any lexeme
 * row (and lexemes in one order), so statistics writers of one knowledge base take turns instead of
 * deadlocking. Chunk triggers lock their documents' rows FOR SHARE first: a document's live run cannot
 * swap between a chunk write and its statistics.
 */
/** The first definitions of the statistics triggers' functions (LeanerKeywordStatistics replaces them; its down restores these). */
export const KEYWORD_STATS_APPLY_FIRST = `
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
          SELECT t.kb, l.lexeme, sum(t.sign)
            FROM unnest(kbs, vectors, signs) AS t(kb, vec, sign)
            CROSS JOIN LATERAL unnest(tsvector_to_array(t.vec)) AS l(lexeme)
           GROUP BY t.kb, l.lexeme HAVING sum(t.sign) <> 0
           ORDER BY t.kb, l.lexeme
          ON CONFLICT (knowledge_base_id, lexeme) DO UPDATE SET doc_freq = s.doc_freq + excluded.doc_freq;
      END $fn$`;

export const CHUNKS_KEYWORD_STATS_FIRST = `
      CREATE OR REPLACE FUNCTION chunks_keyword_stats() RETURNS trigger LANGUAGE plpgsql AS $fn$
      DECLARE
        c_kb uuid[]; c_doc uuid[]; c_run int[]; c_enabled boolean[]; c_vec tsvector[]; c_len int[]; c_sign int[];
        kbs uuid[]; vectors tsvector[]; lengths int[]; signs int[];
      BEGIN
        IF TG_OP = 'INSERT' THEN
          SELECT array_agg(knowledge_base_id), array_agg(document_id), array_agg(ingest_run), array_agg(enabled),
                 array_agg(search_vector), array_agg(keyword_length), array_agg(1)
            INTO c_kb, c_doc, c_run, c_enabled, c_vec, c_len, c_sign FROM new_rows;
        ELSIF TG_OP = 'DELETE' THEN
          SELECT array_agg(knowledge_base_id), array_agg(document_id), array_agg(ingest_run), array_agg(enabled),
                 array_agg(search_vector), array_agg(keyword_length), array_agg(-1)
            INTO c_kb, c_doc, c_run, c_enabled, c_vec, c_len, c_sign FROM old_rows;
        ELSE
          SELECT array_agg(x.knowledge_base_id), array_agg(x.document_id), array_agg(x.ingest_run), array_agg(x.enabled),
                 array_agg(x.search_vector), array_agg(x.keyword_length), array_agg(x.sign)
            INTO c_kb, c_doc, c_run, c_enabled, c_vec, c_len, c_sign
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            CROSS JOIN LATERAL (VALUES
              (o.knowledge_base_id, o.document_id, o.ingest_run, o.enabled, o.search_vector, o.keyword_length, -1),
              (n.knowledge_base_id, n.document_id, n.ingest_run, n.enabled, n.search_vector, n.keyword_length, 1)
            ) AS x(knowledge_base_id, document_id, ingest_run, enabled, search_vector, keyword_length, sign)
           WHERE o.enabled IS DISTINCT FROM n.enabled OR o.search_vector IS DISTINCT FROM n.search_vector
              OR o.ingest_run IS DISTINCT FROM n.ingest_run OR o.document_id IS DISTINCT FROM n.document_id;
        END IF;
        IF c_kb IS NULL THEN RETURN NULL; END IF;
        -- The documents' live runs cannot change under us (completeRun, a delete) until this transaction ends.
        PERFORM 1 FROM documents d WHERE d.id = ANY (c_doc) ORDER BY d.id FOR SHARE;
        SELECT array_agg(c.kb), array_agg(c.vec), array_agg(c.len), array_agg(c.sign)
          INTO kbs, vectors, lengths, signs
          FROM unnest(c_kb, c_doc, c_run, c_enabled, c_vec, c_len, c_sign) AS c(kb, doc, run, enabled, vec, len, sign)
          JOIN documents d ON d.id = c.doc
          JOIN knowledge_bases kb ON kb.id = c.kb
         WHERE chunk_is_searchable(c.enabled, c.run, d.live_run, kb.deleted_at IS NULL);
        PERFORM keyword_stats_apply(kbs, vectors, lengths, signs);
        RETURN NULL;
      END $fn$`;

export const DOCUMENTS_KEYWORD_STATS_FIRST = `
      CREATE OR REPLACE FUNCTION documents_keyword_stats() RETURNS trigger LANGUAGE plpgsql AS $fn$
      DECLARE kbs uuid[]; vectors tsvector[]; lengths int[]; signs int[]; new_live int; kb_live boolean;
      BEGIN
        IF TG_OP = 'UPDATE' THEN new_live := NEW.live_run; END IF;
        SELECT kb.deleted_at IS NULL INTO kb_live FROM knowledge_bases kb WHERE kb.id = OLD.knowledge_base_id;
        IF coalesce(kb_live, false) THEN
          SELECT array_agg(x.knowledge_base_id), array_agg(x.search_vector), array_agg(x.keyword_length), array_agg(x.sign)
            INTO kbs, vectors, lengths, signs
            FROM (SELECT c.knowledge_base_id, c.search_vector, c.keyword_length,
                         chunk_is_searchable(c.enabled, c.ingest_run, new_live, true)::int
                           - chunk_is_searchable(c.enabled, c.ingest_run, OLD.live_run, true)::int AS sign
                    FROM chunks c
                   WHERE c.document_id = OLD.id AND c.ingest_run IN (OLD.live_run, new_live)) x
           WHERE x.sign <> 0;
          PERFORM keyword_stats_apply(kbs, vectors, lengths, signs);
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
      END $fn$`;

export class KeywordStatistics1795320000000 implements MigrationInterface {
  name = 'KeywordStatistics1795320000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION keyword_identifiers(raw text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT coalesce(array_agg(lower(m[1]) ORDER BY n), '{}')
          FROM regexp_matches(coalesce(raw, ''),
                              '(\\\\?[A-Za-z0-9]+(?:[_.:^$@#]+[A-Za-z0-9]+)+|\\\\[A-Za-z]+)', 'g') WITH ORDINALITY AS t(m, n)
      $fn$`);
    // Identifier positions follow the text's (|| shifts them past the text's last position).
    await q.query(`
      CREATE FUNCTION keyword_vector(segmented text, raw text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT to_tsvector('english'::regconfig, coalesce(segmented, '')) || coalesce((
          SELECT string_agg('''' || replace(replace(left(id, 200), '\\', '\\\\'), '''', '''''') || ''':' || least(n, 16383), ' ')::tsvector
            FROM unnest(keyword_identifiers(raw)) WITH ORDINALITY AS t(id, n)), ''::tsvector)
      $fn$`);
    await q.query(`
      CREATE FUNCTION keyword_token_count(v tsvector) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT coalesce(sum(coalesce(array_length(positions, 1), 1)), 0)::int FROM unnest(v)
      $fn$`);
    await q.query(`
      CREATE FUNCTION chunk_is_searchable(chunk_enabled boolean, chunk_run int, live_run int, knowledge_base_live boolean)
        RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT coalesce(chunk_enabled AND chunk_run = live_run AND knowledge_base_live, false)
      $fn$`);

    // One rewrite of the table (indexes rebuilt in bulk): identifiers join existing vectors, lengths are set.
    await q.query(`
      ALTER TABLE chunks
        ALTER COLUMN search_vector TYPE tsvector
          USING coalesce(search_vector, ''::tsvector) || (keyword_vector('', title || E'\\n' || content))`);
    await q.query(
      `ALTER TABLE chunks ADD COLUMN keyword_length int GENERATED ALWAYS AS (keyword_token_count(search_vector)) STORED`,
    );

    await q.query(`
      CREATE TABLE keyword_kb_stats (
        knowledge_base_id uuid PRIMARY KEY REFERENCES knowledge_bases(id) ON DELETE CASCADE,
        chunk_count bigint NOT NULL DEFAULT 0,
        total_length bigint NOT NULL DEFAULT 0
      )`);
    await q.query(`
      CREATE TABLE keyword_lexeme_stats (
        knowledge_base_id uuid NOT NULL REFERENCES knowledge_bases(id) ON DELETE CASCADE,
        lexeme text NOT NULL,
        doc_freq int NOT NULL,
        PRIMARY KEY (knowledge_base_id, lexeme)
      )`);

    await q.query(KEYWORD_STATS_APPLY_FIRST);

    // Chunk writes (INSERT, UPDATE, DELETE): the rows' change, judged against their documents as they are now.
    await q.query(CHUNKS_KEYWORD_STATS_FIRST);
    for (const [op, tables] of [
      ['INSERT', 'NEW TABLE AS new_rows'],
      ['UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'],
      ['DELETE', 'OLD TABLE AS old_rows'],
    ]) {
      await q.query(
        `CREATE TRIGGER chunks_keyword_stats_${op.toLowerCase()} AFTER ${op} ON chunks
           REFERENCING ${tables} FOR EACH STATEMENT EXECUTE FUNCTION chunks_keyword_stats()`,
      );
    }

    // A document's live run swaps (completeRun) or the document goes (its chunks cascade after it, when
    // they are no longer searchable): its chunks' change, before the row changes.
    await q.query(DOCUMENTS_KEYWORD_STATS_FIRST);
    await q.query(`
      CREATE TRIGGER documents_keyword_stats_live_run BEFORE UPDATE OF live_run ON documents
        FOR EACH ROW WHEN (OLD.live_run IS DISTINCT FROM NEW.live_run) EXECUTE FUNCTION documents_keyword_stats()`);
    await q.query(`
      CREATE TRIGGER documents_keyword_stats_delete BEFORE DELETE ON documents
        FOR EACH ROW EXECUTE FUNCTION documents_keyword_stats()`);

    // What a knowledge base's statistics should be, from its chunks: for repair, for the check, and after
    // an undelete. Locks the knowledge base's statistics row first, as every writer does.
    await q.query(`
      CREATE FUNCTION keyword_stats_rebuild(kb_id uuid) RETURNS void LANGUAGE plpgsql AS $fn$
      BEGIN
        INSERT INTO keyword_kb_stats AS s (knowledge_base_id) VALUES (kb_id)
          ON CONFLICT (knowledge_base_id) DO UPDATE SET chunk_count = s.chunk_count;
        DELETE FROM keyword_lexeme_stats WHERE knowledge_base_id = kb_id;
        UPDATE keyword_kb_stats s SET chunk_count = e.chunks, total_length = e.total
          FROM (SELECT count(*) AS chunks, coalesce(sum(keyword_length), 0) AS total FROM keyword_searchable_chunks(kb_id)) e
         WHERE s.knowledge_base_id = kb_id;
        INSERT INTO keyword_lexeme_stats (knowledge_base_id, lexeme, doc_freq)
          SELECT kb_id, l.lexeme, count(*) FROM keyword_searchable_chunks(kb_id) c
           CROSS JOIN LATERAL unnest(tsvector_to_array(c.search_vector)) AS l(lexeme)
           GROUP BY l.lexeme;
      END $fn$`);
    await q.query(`
      CREATE FUNCTION keyword_searchable_chunks(kb_id uuid) RETURNS TABLE (search_vector tsvector, keyword_length int)
        LANGUAGE sql STABLE AS $fn$
        SELECT c.search_vector, c.keyword_length FROM chunks c
          JOIN documents d ON d.id = c.document_id
          JOIN knowledge_bases kb ON kb.id = c.knowledge_base_id
         WHERE c.knowledge_base_id = kb_id AND chunk_is_searchable(c.enabled, c.ingest_run, d.live_run, kb.deleted_at IS NULL)
      $fn$`);

    // A knowledge base marked deleted has nothing searchable: its statistics go at once (the purge of its
    // documents then changes nothing).
    await q.query(`
      CREATE FUNCTION knowledge_bases_keyword_stats() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF NEW.deleted_at IS NOT NULL THEN
          UPDATE keyword_kb_stats SET chunk_count = 0, total_length = 0 WHERE knowledge_base_id = NEW.id;
          DELETE FROM keyword_lexeme_stats WHERE knowledge_base_id = NEW.id;
        ELSE
          PERFORM keyword_stats_rebuild(NEW.id);
        END IF;
        RETURN NULL;
      END $fn$`);
    await q.query(`
      CREATE TRIGGER knowledge_bases_keyword_stats AFTER UPDATE OF deleted_at ON knowledge_bases
        FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at) EXECUTE FUNCTION knowledge_bases_keyword_stats()`);

    await q.query(`SELECT keyword_stats_rebuild(id) FROM knowledge_bases WHERE deleted_at IS NULL ORDER BY id`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER knowledge_bases_keyword_stats ON knowledge_bases`);
    await q.query(`DROP TRIGGER documents_keyword_stats_delete ON documents`);
    await q.query(`DROP TRIGGER documents_keyword_stats_live_run ON documents`);
    for (const op of ['insert', 'update', 'delete']) await q.query(`DROP TRIGGER chunks_keyword_stats_${op} ON chunks`);
    await q.query(`DROP FUNCTION knowledge_bases_keyword_stats()`);
    await q.query(`DROP FUNCTION keyword_stats_rebuild(uuid)`);
    await q.query(`DROP FUNCTION keyword_searchable_chunks(uuid)`);
    await q.query(`DROP FUNCTION documents_keyword_stats()`);
    await q.query(`DROP FUNCTION chunks_keyword_stats()`);
    await q.query(`DROP FUNCTION keyword_stats_apply(uuid[], tsvector[], int[], int[])`);
    await q.query(`DROP TABLE keyword_lexeme_stats`);
    await q.query(`DROP TABLE keyword_kb_stats`);
    await q.query(`ALTER TABLE chunks DROP COLUMN keyword_length`);
    await q.query(`DROP FUNCTION chunk_is_searchable(boolean, int, int, boolean)`);
    await q.query(`DROP FUNCTION keyword_token_count(tsvector)`);
    await q.query(`DROP FUNCTION keyword_vector(text, text)`);
    await q.query(`DROP FUNCTION keyword_identifiers(text)`);
  }
}
