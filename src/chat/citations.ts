import type { SearchHit } from '../retrieval/retrieval.types';
import type { Citation } from './chat.types';

const SNIPPET_CHARS = 200;

/** `[1]`, `[1, 2]`, `[1][3]`, `[^2]`, `[source 1]`, `【1】`, `[资料1]`: the ways models write a citation. */
export const CITATION_MARK =
  /[[【]\s*(?:\^|source\s*|sources\s*|来源\s*|资料\s*)?(\d{1,3}(?:\s*[,，、;；]\s*\d{1,3})*)\s*[\]】]/gi;

/** The source numbers in one citation mark's number list (`1, 2` → [1, 2]). */
export function citationNumbers(list: string): number[] {
  return list.split(/[,，、;；]/).map((part) => Number(part.trim()));
}

/** The citation for a hit given to the model as `[index]`. */
export function toCitation(hit: SearchHit, index: number): Citation {
  const flat = hit.content.replace(/\s+/g, ' ').trim();
  return {
    index,
    chunkId: hit.chunkId,
    documentId: hit.documentId,
    documentName: hit.documentName,
    title: hit.title,
    pageFrom: hit.pageFrom,
    pageTo: hit.pageTo,
    location: hit.location ?? null,
    snippet: flat.length > SNIPPET_CHARS ? flat.slice(0, SNIPPET_CHARS) + '…' : flat,
  };
}

/**
 * The sources an answer cites, by index. Only numbers that were really given to the model survive: a
 * `[7]` when five sources were sent is dropped, as is anything that is not a source number.
 */
export function citedSources(answer: string, given: Citation[]): Citation[] {
  const byIndex = new Map(given.map((c) => [c.index, c]));
  const cited = new Set<number>();
  for (const match of answer.matchAll(CITATION_MARK)) {
    for (const n of citationNumbers(match[1])) if (byIndex.has(n)) cited.add(n);
  }
  return [...cited].sort((a, b) => a - b).map((n) => byIndex.get(n) as Citation);
}
