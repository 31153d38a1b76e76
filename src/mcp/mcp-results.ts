import type { Citation, AskResult } from '../chat/chat.types';
import type { ChunkLocation } from '../documents/chunk-location';
import type { KnowledgeBaseView } from '../knowledge-bases/knowledge-bases.service';
import type { SearchResultItem } from '../retrieval/retrieval.service';

/**
 * What the MCP tools answer: a text an agent reads as it is (most clients show the model only the text)
 * and the same facts as structured content for clients that use it.
 */
export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** A tool error: the agent is told in plain words, and may try again differently. */
export function toolError(message: string): ToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** "p. 12", "pp. 12–14", "slides 3–4", "rows 2–9 of Sheet1", or '' when the passage has no place. */
export function placeOf(pageFrom: number | null, pageTo: number | null, location?: ChunkLocation | null): string {
  const range = (from: number, to: number) => (to > from ? `${from}–${to}` : `${from}`);
  if (pageFrom !== null) {
    const to = pageTo ?? pageFrom;
    return to > pageFrom ? `pp. ${range(pageFrom, to)}` : `p. ${pageFrom}`;
  }
  if (!location) return '';
  const noun = { slide: 'slide', chapter: 'chapter', rows: 'row' }[location.kind];
  const plural = location.to > location.from ? 's' : '';
  const sheet = location.sheet ? ` of ${location.sheet}` : '';
  return `${noun}${plural} ${range(location.from, location.to)}${sheet}`;
}

/** "R-intro.pdf, p. 12 — Output" */
function sourceLine(documentName: string, place: string, heading: string): string {
  return [documentName, place].filter(Boolean).join(', ') + (heading ? ` — ${heading}` : '');
}

export function knowledgeBasesResult(knowledgeBases: KnowledgeBaseView[]): ToolResult {
  const items = knowledgeBases.map((kb) => ({
    id: kb.id,
    slug: kb.slug,
    name: kb.name,
    description: kb.description,
    documents: kb.documentCount,
    passages: kb.chunkCount,
  }));
  const text = items.length
    ? items
        .map(
          (kb) =>
            `- ${kb.name} (slug: ${kb.slug}, id: ${kb.id}): ${kb.documents} documents, ${kb.passages} passages` +
            (kb.description ? `\n  ${kb.description}` : ''),
        )
        .join('\n')
    : 'There are no knowledge bases this key may ask.';
  return { content: [{ type: 'text', text }], structuredContent: { knowledgeBases: items } };
}

export function searchResult(
  knowledgeBase: { id: string; name: string },
  query: string,
  results: SearchResultItem[],
): ToolResult {
  const passages = results.map((hit, i) => ({
    index: i + 1,
    chunkId: hit.chunkId,
    documentId: hit.documentId,
    document: hit.documentName,
    pageFrom: hit.pageFrom,
    pageTo: hit.pageTo,
    location: hit.location ?? null,
    heading: hit.title,
    content: hit.content,
    score: hit.score,
    vectorScore: hit.vectorScore,
    keywordScore: hit.keywordScore,
  }));
  const text = passages.length
    ? `${passages.length} passage${passages.length > 1 ? 's' : ''} from "${knowledgeBase.name}" for "${query}":\n\n` +
      passages
        .map(
          (p) =>
            `[${p.index}] ${sourceLine(p.document, placeOf(p.pageFrom, p.pageTo, p.location), p.heading)} ` +
            `(score ${round(p.score)}${scores(p.vectorScore, p.keywordScore)})\n${p.content}`,
        )
        .join('\n\n')
    : `Nothing in "${knowledgeBase.name}" matches "${query}". Try other words, or mode "keyword" for exact terms.`;
  return {
    content: [{ type: 'text', text }],
    structuredContent: { knowledgeBase: knowledgeBase.id, query, passages },
  };
}

export function answerResult(knowledgeBase: { id: string; name: string }, result: AskResult): ToolResult {
  const citations = result.citations.map((c: Citation) => ({
    index: c.index,
    chunkId: c.chunkId,
    documentId: c.documentId,
    document: c.documentName,
    pageFrom: c.pageFrom,
    pageTo: c.pageTo,
    location: c.location ?? null,
    heading: c.title,
    snippet: c.snippet,
  }));
  const sources = citations.length
    ? '\n\nSources:\n' +
      citations
        .map((c) => `[${c.index}] ${sourceLine(c.document, placeOf(c.pageFrom, c.pageTo, c.location), c.heading)}`)
        .join('\n')
    : '';
  const text =
    `${result.answer}${sources}\n\n` +
    `(conversationId: ${result.conversationId}; pass it to ask for a follow-up question)`;
  return {
    content: [{ type: 'text', text }],
    structuredContent: {
      knowledgeBase: knowledgeBase.id,
      answer: result.answer,
      citations,
      conversationId: result.conversationId,
      messageId: result.messageId,
      finishReason: result.finishReason,
    },
  };
}

function round(score: number): string {
  return String(Math.round(score * 10_000) / 10_000);
}

function scores(vector: number | null, keyword: number | null): string {
  return (vector !== null ? `; vector ${round(vector)}` : '') + (keyword !== null ? `; keyword ${round(keyword)}` : '');
}
