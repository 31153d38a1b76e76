import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ChunkRepository } from '../../src/documents/chunk.repository';
import { OllamaClientService } from '../../src/llm/ollama-client.service';
import type { TestApp } from './test-app';

/** A passage to seed: text and where it came from. */
export interface SeedChunk {
  title?: string;
  content: string;
  page: number;
  enabled?: boolean;
}

export interface SeededKb {
  id: string;
  slug: string;
}

export interface SeededDocument {
  id: string;
  chunkIds: string[];
}

/** Creates a knowledge base through the API (as a user would); straight in SQL while that route is missing. */
export async function createKnowledgeBase(
  t: TestApp,
  headers: Record<string, string>,
  body: { name?: string; embeddingModel?: string; settings?: Record<string, unknown> } = {},
): Promise<SeededKb> {
  const name = body.name ?? `检索测试 ${randomBytes(3).toString('hex')}`;
  const res = await request(t.url)
    .post('/api/knowledge-bases')
    .set(headers)
    .send({ ...body, name });
  if (res.status === 201) return { id: res.body.id, slug: res.body.slug };
  if (res.status !== 404 || res.body?.error !== 'NOT_FOUND' || !/No such route/.test(res.body?.message)) {
    throw new Error(`creating a knowledge base failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const model = body.embeddingModel ?? 'bge-m3';
  const { dimension } = await t.app.get(OllamaClientService).showModel(model);
  const slug = `kb-${randomBytes(5).toString('hex')}`;
  const [kb] = await t.app
    .get(DataSource)
    .query(
      `INSERT INTO knowledge_bases (slug, name, embedding_model, embedding_dimension, settings) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [slug, name, model, dimension, JSON.stringify(body.settings ?? {})],
    );
  return { id: kb.id, slug };
}

/**
 * Writes a ready document with the given passages straight into the database, through the same chunk
 * writer the ingestion pipeline uses and with embeddings from the (fake) Ollama, so search sees exactly
 * what ingestion would have produced for that text. For tests about retrieval, not about PDF parsing.
 */
export async function seedDocument(
  t: TestApp,
  kbId: string,
  filename: string,
  chunks: SeedChunk[],
  status: 'ready' | 'embedding' = 'ready',
): Promise<SeededDocument> {
  const db = t.app.get(DataSource);
  const [kb] = await db.query(`SELECT embedding_model, embedding_dimension FROM knowledge_bases WHERE id = $1`, [kbId]);
  const [doc] = await db.query(
    `INSERT INTO documents (knowledge_base_id, filename, mime_type, size_bytes, sha256, storage_key, status, progress, chunk_count,
                            page_count, live_run, version)
     VALUES ($1, $2, 'application/pdf', 1000, $3, $4, $5, 100, $6, $7, $8,
             (SELECT coalesce(max(version), 0) + 1 FROM documents WHERE knowledge_base_id = $1::uuid AND filename = $2::varchar))
     RETURNING id`,
    [
      kbId,
      filename,
      randomBytes(32).toString('hex'),
      `${randomUUID()}.pdf`,
      status,
      chunks.length,
      Math.max(...chunks.map((c) => c.page)),
      status === 'ready' ? 1 : null,
    ],
  );
  const embeddings = await t.app.get(OllamaClientService).embed(
    chunks.map((c) => (c.title ? `${c.title}\n${c.content}` : c.content)),
    { model: kb.embedding_model },
  );
  await t.app.get(ChunkRepository).insertChunks(
    doc.id,
    1,
    kbId,
    kb.embedding_dimension,
    chunks.map((c, i) => ({
      ordinal: i,
      title: c.title ?? '',
      content: c.content,
      pageFrom: c.page,
      pageTo: c.page,
      tokenCount: 100,
      embedding: embeddings[i],
    })),
  );
  const rows: { id: string; ordinal: number }[] = await db.query(
    `SELECT id, ordinal FROM chunks WHERE document_id = $1 ORDER BY ordinal`,
    [doc.id],
  );
  const disabled = rows.filter((r) => chunks[r.ordinal].enabled === false).map((r) => r.id);
  if (disabled.length) await db.query(`UPDATE chunks SET enabled = false WHERE id = ANY($1::uuid[])`, [disabled]);
  return { id: doc.id, chunkIds: rows.map((r) => r.id) };
}

/** Reads a Server-Sent Events body into its events (name and parsed data). */
export function parseSse(text: string): { event: string; data: unknown }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: data === '[DONE]' ? data : JSON.parse(data) };
    });
}

export interface SseEvent {
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * POSTs and reads the answer as Server-Sent Events while they arrive (fetch, so aborting the signal really
 * closes the connection, as a browser tab would).
 */
export async function openEventStream(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ status: number; contentType: string; events: AsyncGenerator<SseEvent>; json: () => Promise<unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...headers },
    body: JSON.stringify(body),
    signal,
  });
  async function* events(): AsyncGenerator<SseEvent> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end + 2);
        buffer = buffer.slice(end + 2);
        yield* parseSse(block) as SseEvent[];
      }
    }
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    events: events(),
    json: () => res.json(),
  };
}

/** Reads every event of a stream to its end. */
export async function readAllEvents(events: AsyncGenerator<SseEvent>): Promise<SseEvent[]> {
  const all: SseEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

/** Three passages of "An Introduction to R" (output to files, sequences) that the chat doors' tests ask about. */
export const R_OUTPUT_PASSAGES: SeedChunk[] = [
  {
    title: 'Output',
    content: 'The function sink("record.lis") will divert all subsequent output from the console to an external file.',
    page: 12,
  },
  {
    title: 'Output',
    content: 'sink() on its own restores output to the console after it was diverted to a file.',
    page: 13,
  },
  { title: 'Sequences', content: 'The function seq() generates regular sequences of numbers.', page: 7 },
];
