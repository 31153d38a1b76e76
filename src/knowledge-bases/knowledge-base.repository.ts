import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, DeepPartial, In, IsNull, Not, Repository } from 'typeorm';
import { findKnowledgeBaseOrFail } from './knowledge-base-lookup';
import { KnowledgeBase } from './knowledge-base.entity';

export interface KnowledgeBaseCounts {
  documents: number;
  /** Chunks of ready documents: what search sees. */
  chunks: number;
}

/** Every read and write of `knowledge_bases`. Deleted ones (deleted_at set, being purged) are invisible to finds. */
@Injectable()
export class KnowledgeBaseRepository {
  constructor(
    @InjectRepository(KnowledgeBase) private readonly rows: Repository<KnowledgeBase>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** By id or slug; 404 when there is none (or it is being deleted). */
  findOrFail(idOrSlug: string): Promise<KnowledgeBase> {
    return findKnowledgeBaseOrFail(this.rows, idOrSlug);
  }

  findById(id: string): Promise<KnowledgeBase | null> {
    return this.rows.findOneBy({ id });
  }

  /** Newest first; only `ids` when given. */
  list(ids?: string[]): Promise<KnowledgeBase[]> {
    return this.rows.find({ where: ids ? { id: In(ids) } : {}, order: { createdAt: 'DESC' } });
  }

  /** By slug exactly; null when there is none (or it is being deleted). */
  findBySlug(slug: string): Promise<KnowledgeBase | null> {
    return this.rows.findOneBy({ slug });
  }

  /**
   * Ordered by slug, limited by a WHERE condition on `kb.id` when given (the access rules'
   * `visibleKnowledgeBasesCondition(principal, 'kb.id')`): the models of /v1 and /ollama.
   */
  listBySlug(visible?: { sql: string; params: Record<string, unknown> }): Promise<KnowledgeBase[]> {
    const qb = this.rows.createQueryBuilder('kb').orderBy('kb.slug', 'ASC');
    if (visible) qb.where(visible.sql, visible.params);
    return qb.getMany();
  }

  /** Bytes of the original files of each knowledge base's documents (Ollama's model `size`). */
  async storedBytes(ids: string[]): Promise<Map<string, number>> {
    if (!ids.length) return new Map();
    const rows: Array<{ knowledge_base_id: string; bytes: string }> = await this.db.query(
      `SELECT knowledge_base_id, coalesce(sum(size_bytes), 0)::bigint AS bytes
         FROM documents WHERE knowledge_base_id = ANY($1::uuid[]) GROUP BY knowledge_base_id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.knowledge_base_id, Number(r.bytes)]));
  }

  /** Inserts a new one; a taken slug surfaces as PostgreSQL's unique violation (23505). */
  insert(fields: DeepPartial<KnowledgeBase>): Promise<KnowledgeBase> {
    return this.rows.save(this.rows.create(fields));
  }

  save(knowledgeBase: KnowledgeBase): Promise<KnowledgeBase> {
    return this.rows.save(knowledgeBase);
  }

  async counts(ids: string[]): Promise<Map<string, KnowledgeBaseCounts>> {
    if (!ids.length) return new Map();
    const rows: Array<{ knowledge_base_id: string; documents: number; chunks: number }> = await this.db.query(
      `SELECT knowledge_base_id, count(*)::int AS documents,
              coalesce(sum(chunk_count) FILTER (WHERE status = 'ready'), 0)::int AS chunks
         FROM documents WHERE knowledge_base_id = ANY($1::uuid[]) GROUP BY knowledge_base_id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.knowledge_base_id, { documents: r.documents, chunks: r.chunks }]));
  }

  /**
   * Marks it deleted (every find leaves it out from now on) and frees its slug for a new knowledge base;
   * false when it was already deleted. Its contents are purged afterwards, in the background.
   */
  async markDeleted(id: string): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.db.query(
      `UPDATE knowledge_bases
          SET deleted_at = now(), slug = left(slug, 100) || '~' || left(replace(id::text, '-', ''), 12)
        WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return affected > 0;
  }

  /** Knowledge bases marked deleted whose purge has not finished (e.g. the process stopped meanwhile). */
  async deletedIds(limit: number): Promise<string[]> {
    const rows = await this.rows.find({
      select: { id: true },
      where: { deletedAt: Not(IsNull()) },
      withDeleted: true,
      order: { deletedAt: 'ASC' },
      take: limit,
    });
    return rows.map((r) => r.id);
  }

  /** The last step of a purge: the row itself (members, keys' grants and conversations cascade). */
  async deleteForGood(id: string): Promise<void> {
    await this.db.query(`DELETE FROM knowledge_bases WHERE id = $1 AND deleted_at IS NOT NULL`, [id]);
  }
}
