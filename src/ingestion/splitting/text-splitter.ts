import { effectiveSplitOptions, SplitOptions } from '../../common/text/chunk-limits';
import { estimateTokens } from '../../common/text/token-estimate';
import { ChunkLocation, PageUnit, TextBlock } from '../parsing/parsed-document';

/** How to split: the chunk sizes, and what the blocks' `page` counts. */
export interface SplitterOptions extends SplitOptions {
  /** What the blocks' `page` counts; pages of other units than PDF pages become the chunk's location. */
  pageUnit?: PageUnit;
}

export interface TextChunk {
  ordinal: number;
  /** Heading trail, e.g. "2 Simple manipulations › 2.1 Vectors and assignment". */
  title: string;
  content: string;
  pageFrom: number | null;
  pageTo: number | null;
  /** Slides, chapters or a sheet's rows (formats without PDF pages). */
  location: ChunkLocation | null;
  tokenCount: number;
}

export const TITLE_SEPARATOR = ' › ';

/** A sentence (or a word window of an overlong one): the smallest piece a chunk is built from. */
interface Unit {
  text: string;
  tokens: number;
  page?: number;
  /** Text that joins it to the unit before: "\n\n" between paragraphs, " " or "" inside one. */
  separator: string;
}

const CJK_CHAR = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
const CJK_TERMINATORS = new Set(['。', '！', '？', '；']);
const LATIN_TERMINATORS = new Set(['.', '!', '?']);
const CLOSERS = new Set(['”', '’', '」', '』', '"', "'", ')', '）', '】', '》']);

/**
 * Splits parsed text into chunks of about `chunkSize` estimated tokens: a heading always starts a new
 * chunk (and sets the title trail); paragraphs are kept whole when they fit, else split into
 * sentences (。！？； and .!? followed by a space), and sentences longer than a chunk into word
 * windows — never inside a word. Each chunk keeps the page range it came from. A table is split between
 * rows, every chunk repeating its header so that each passage reads alone.
 */
export function splitIntoChunks(blocks: Iterable<TextBlock>, options: SplitterOptions): TextChunk[] {
  const { size, overlap } = effectiveSplitOptions(options);
  const chunks: TextChunk[] = [];
  const trail: string[] = [];
  let title = '';
  let current: Unit[] = [];
  let currentTokens = 0;

  const emit = (): void => {
    if (!current.length) return;
    const content = current
      .map((u, i) => (i === 0 ? u.text : u.separator + u.text))
      .join('')
      .trim();
    if (content) {
      const pages = current.map((u) => u.page).filter((p): p is number => p !== undefined);
      const from = pages.length ? Math.min(...pages) : null;
      const to = pages.length ? Math.max(...pages) : null;
      const unit = options.pageUnit ?? 'page';
      chunks.push({
        ordinal: chunks.length,
        title,
        content,
        pageFrom: unit === 'page' ? from : null,
        pageTo: unit === 'page' ? to : null,
        location: unit !== 'page' && from !== null && to !== null ? { kind: unit, from, to } : null,
        tokenCount: estimateTokens(content),
      });
    }
  };
  const emitTable = (table: TextBlock): void => {
    for (const piece of tablePieces(table, size)) chunks.push({ ...piece, ordinal: chunks.length, title });
  };
  const startNextWithOverlap = (incoming: number): void => {
    const carried: Unit[] = [];
    let carriedTokens = 0;
    for (let i = current.length - 1; i > 0; i--) {
      const unit = current[i];
      if (carriedTokens + unit.tokens > overlap || carriedTokens + unit.tokens + incoming > size) break;
      carried.unshift(unit);
      carriedTokens += unit.tokens;
    }
    current = carried;
    currentTokens = carriedTokens;
  };
  const add = (unit: Unit): void => {
    if (current.length && currentTokens + unit.tokens > size) {
      emit();
      startNextWithOverlap(unit.tokens);
    }
    current.push(unit);
    currentTokens += unit.tokens;
  };
  const closeSection = (): void => {
    emit();
    current = [];
    currentTokens = 0;
  };

  for (const block of blocks) {
    if (block.kind === 'table') {
      closeSection();
      emitTable(block);
      continue;
    }
    if (block.kind === 'heading') {
      closeSection();
      const level = Math.max(1, block.level ?? 1);
      trail.length = Math.min(trail.length, level - 1);
      trail[level - 1] = block.text.trim();
      title = trail.filter(Boolean).join(TITLE_SEPARATOR);
      continue;
    }
    const text = block.text.trim();
    if (!text) continue;
    const tokens = estimateTokens(text);
    if (tokens <= size) {
      add({ text, tokens, page: block.page, separator: '\n\n' });
      continue;
    }
    let first = true;
    for (const piece of splitSentences(text)) {
      for (const window of piece.tokens > size ? splitWords(piece.text, size) : [piece]) {
        add({
          text: window.text,
          tokens: window.tokens,
          page: block.page,
          separator: first ? '\n\n' : window.separator,
        });
        first = false;
      }
    }
  }
  closeSection();
  return chunks;
}

interface Piece {
  text: string;
  tokens: number;
  separator: string;
}

/**
 * A table's rows packed into chunks of at most `size` tokens, each starting with the table's header; a
 * row too long for one chunk is cut into word windows, each again under the header.
 */
function tablePieces(table: TextBlock, size: number): Array<Omit<TextChunk, 'ordinal' | 'title'>> {
  const header = table.text.trim();
  const headerTokens = estimateTokens(header);
  const room = Math.max(8, size - headerTokens);
  const pieces: Array<Omit<TextChunk, 'ordinal' | 'title'>> = [];
  let lines: string[] = [];
  let rows: number[] = [];
  let tokens = 0;
  const flush = (): void => {
    if (!lines.length) return;
    const content = `${header}\n${lines.join('\n')}`;
    pieces.push({
      content,
      pageFrom: table.page ?? null,
      pageTo: table.page ?? null,
      location: {
        kind: 'rows',
        ...(table.sheet ? { sheet: table.sheet } : {}),
        from: rows[0],
        to: rows[rows.length - 1],
      },
      tokenCount: estimateTokens(content),
    });
    lines = [];
    rows = [];
    tokens = 0;
  };
  for (const row of table.rows ?? []) {
    const rowTokens = estimateTokens(row.text) + 1;
    if (rowTokens > room) {
      flush();
      for (const window of splitWords(row.text, room)) {
        lines = [window.text];
        rows = [row.row];
        flush();
      }
      continue;
    }
    if (tokens + rowTokens > room) flush();
    lines.push(row.text);
    rows.push(row.row);
    tokens += rowTokens;
  }
  flush();
  return pieces;
}

/** Sentences of a paragraph, each with the whitespace that separated it from the one before. */
export function splitSentences(text: string): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  let separator = '';
  const push = (end: number, next: number): void => {
    const sentence = text.slice(start, end);
    if (sentence.trim()) pieces.push({ text: sentence, tokens: estimateTokens(sentence), separator });
    separator = text.slice(end, next).length ? ' ' : '';
    start = next;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const cjk = CJK_TERMINATORS.has(ch);
    if (!cjk && !LATIN_TERMINATORS.has(ch)) continue;
    let end = i + 1;
    while (
      end < text.length &&
      (CLOSERS.has(text[end]) || CJK_TERMINATORS.has(text[end]) || LATIN_TERMINATORS.has(text[end]))
    )
      end++;
    let next = end;
    while (next < text.length && /\s/.test(text[next])) next++;
    // "e.g. x", "help.search" and "3.14" are not sentence ends: Latin needs whitespace after.
    if (!cjk && next === end && end < text.length) continue;
    push(end, next);
    i = next - 1;
  }
  if (start < text.length) push(text.length, text.length);
  return pieces;
}

/**
 * Windows of at most `size` tokens cut at spaces or between CJK characters. Only a single "word" longer
 * than a whole chunk (a URL, a base64 blob) is cut inside, so no chunk outgrows the model's context.
 */
export function splitWords(text: string, size: number): Piece[] {
  const atoms =
    text.match(
      /\s+|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\s\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/gu,
    ) ?? [];
  const windows: Piece[] = [];
  let window = '';
  let windowTokens = 0;
  let separator = '';
  const flush = (nextSeparator: string): void => {
    if (window.trim()) windows.push({ text: window.trim(), tokens: estimateTokens(window.trim()), separator });
    window = '';
    windowTokens = 0;
    separator = nextSeparator;
  };
  for (const atom of atoms) {
    if (/^\s+$/.test(atom)) {
      if (window) window += atom;
      continue;
    }
    const atomTokens = CJK_CHAR.test(atom) && atom.length === 1 ? 1 : estimateTokens(atom);
    if (atomTokens > size) {
      flush(' ');
      const maxChars = size * 4;
      for (let i = 0; i < atom.length; i += maxChars) {
        window = atom.slice(i, i + maxChars);
        flush('');
      }
      continue;
    }
    if (windowTokens + atomTokens > size) flush(/\s$/.test(window) ? ' ' : '');
    window += atom;
    windowTokens += atomTokens;
  }
  flush('');
  return windows;
}
