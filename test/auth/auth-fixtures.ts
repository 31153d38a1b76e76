import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import type { TestApp } from '../support/test-app';

/**
 * Rows the access checks are about, written straight into the test database (the ingestion
 * pipeline is not what these tests are about). Names are unique per call: a jest run shares one database.
 */
export interface SeededKnowledgeBase {
  id: string;
  slug: string;
  documentId: string;
  chunkId: string;
  conversationId: string;
  messageId: string;
}

export function db(t: TestApp): DataSource {
  return t.app.get(DataSource);
}

export async function seedKnowledgeBase(
  t: TestApp,
  ownerId: string | null,
  conversationUserId: string | null = ownerId,
): Promise<SeededKnowledgeBase> {
  const q = db(t);
  const slug = `kb-${randomBytes(5).toString('hex')}`;
  const [kb] = await q.query(
    `INSERT INTO knowledge_bases (slug, name, embedding_model, embedding_dimension, owner_id)
     VALUES ($1, $2, 'bge-m3', 1024, $3) RETURNING id`,
    [slug, `知识库 ${slug}`, ownerId],
  );
  // The original on disk too, so downloads work.
  const bytes = Buffer.from(`知库的第一段文字 hello ${slug}\n`);
  const storageKey = `uploads/${randomUUID()}`;
  fs.mkdirSync(path.join(t.config.dataDir, 'uploads'), { recursive: true });
  fs.writeFileSync(path.join(t.config.dataDir, storageKey), bytes);
  const [doc] = await q.query(
    `INSERT INTO documents (knowledge_base_id, filename, mime_type, size_bytes, sha256, storage_key, status, progress, chunk_count, live_run)
     VALUES ($1, '说明书.txt', 'text/plain', $2, $3, $4, 'ready', 100, 1, 1) RETURNING id`,
    [kb.id, bytes.length, createHash('sha256').update(bytes).digest('hex'), storageKey],
  );
  const [chunk] = await q.query(
    `INSERT INTO chunks (document_id, knowledge_base_id, ordinal, content, page_from, page_to, token_count)
     VALUES ($1, $2, 0, '知库的第一段文字 hello', 1, 1, 10) RETURNING id`,
    [doc.id, kb.id],
  );
  const [conversation] = await q.query(
    `INSERT INTO conversations (knowledge_base_id, user_id, title) VALUES ($1, $2, '第一个问题') RETURNING id`,
    [kb.id, conversationUserId],
  );
  const [message] = await q.query(
    `INSERT INTO messages (conversation_id, role, content) VALUES ($1, 'assistant', '回答 [1]') RETURNING id`,
    [conversation.id],
  );
  return {
    id: kb.id,
    slug,
    documentId: doc.id,
    chunkId: chunk.id,
    conversationId: conversation.id,
    messageId: message.id,
  };
}

export async function auditEntries(t: TestApp, action: string, since: Date): Promise<Record<string, unknown>[]> {
  return db(t).query(`SELECT * FROM audit_log WHERE action = $1 AND at >= $2 ORDER BY id`, [action, since]);
}
