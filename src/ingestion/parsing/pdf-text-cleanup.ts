import { headingLevel } from './heading-detector';
import { TextBlock } from './parsed-document';

export interface PageText {
  /** 1-based page number. */
  num: number;
  text: string;
}

/** CJK ideographs, kana and full-width punctuation: written without spaces between them. */
const CJK = /[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/u;
const CJK_SPACED_PAIR =
  /([\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]) +(?=[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef])/gu;
const CJK_PAIR = /[\u3400-\u4dbf\u4e00-\u9fff] ?[\u3400-\u4dbf\u4e00-\u9fff]/gu;
const BARE_PAGE_NUMBER =
  /^(?:[-–—[(]\s*)?(?:page\s+|p\.\s*)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:\/|of)\s*\d{1,4})?(?:\s*[-–—\])])?$|^第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?$/iu;
const EDGE_NUMBER = /^(\d{1,4})\s+\S|\S\s+(\d{1,4})$/u;
const SENTENCE_END = /[.!?:;。！？：；”"’)）]$/u;
const LIST_ITEM = /^(?:[•●○◦▪■□–—*-]\s|\(?\d{1,2}[.)]\s|\(?[a-z][.)]\s|[（(][一二三四五六七八九十\d]+[)）])/u;
const HYPHENATED_END = /\p{Ll}-$/u;
const STARTS_LOWER = /^\p{Ll}/u;
const LETTER_SPACED_CAPITALS = /(?<![\p{L}\p{N}])(?:\p{Lu} ){3,}\p{Lu}(?![\p{L}\p{N}])/gu;
/** The last word of a line is a URL cut by the layout ("https://github.com/", "https:", "www."). */
const URL_CUT_AT_LINE_END = /(?:^|\s)(?:https?:|ftp:|www\.)\S*[/.:\-_?=&#]$/iu;
/**
 * A word that ends a line with a hyphen is an identifier or option cut there ("-shell-", "pdf-tex-"):
 * its hyphen is real and stays.
 */
const HYPHEN_BELONGS_TO_WORD = /(?:^|\s)(?:-|\S*[-_\\/=.]\S*-$)\S*$/u;
/** Lines that repeat on this share of pages (at least 3), in runs of at least 3, are page furniture. */
const FURNITURE_PAGE_SHARE = 0.5;
const FURNITURE_MIN_RUN = 3;
/** Lines this much shorter than the document's usual full line end a paragraph (or are a list/code line). */
const SHORT_LINE_RATIO = 0.78;
/** How many lines at the top and bottom of a page can be running headers or footers. */
const EDGE_LINES = 2;

/**
 * Turns the raw per-page text of a PDF into headings and paragraphs that read well: running headers
 * and footers and bare page numbers go, lines wrapped by the layout are joined again (English
 * hyphenation undone, Chinese joined without a space), justified Chinese lines lose the spaces the
 * PDF put between every character, and paragraphs stay paragraphs.
 */
export function cleanPdfPages(pages: PageText[]): TextBlock[] {
  const pageLines = pages.map((page) => splitLines(page.text));
  removeRepeatedFurniture(pageLines);
  removeRunningHeadersAndFooters(pages, pageLines);
  removeHeadingHeaders(pageLines);
  const fullLineWidth = typicalLineWidth(pageLines);
  const blocks: TextBlock[] = [];
  pages.forEach((page, i) => blocks.push(...reflowPage(pageLines[i], page.num, fullLineWidth)));
  return blocks;
}

/** Characters a font without a Unicode map leaves: control codes, U+FFFD, private-use code points. */
const MEANINGLESS_GLYPH = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\ufffd\ue000-\uf8ff]/gu;

/** Glyphs on a page that map to no character (see MEANINGLESS_GLYPH). */
export function meaninglessGlyphCount(text: string): number {
  return text.match(MEANINGLESS_GLYPH)?.length ?? 0;
}

/** Letters, digits and CJK characters in the text: zero for a PDF without a text layer. */
export function meaningfulCharacterCount(pages: PageText[]): number {
  let count = 0;
  for (const page of pages) count += page.text.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
  return count;
}

function splitLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => normalizeLine(line))
    .filter((line) => line.length > 0);
}

function normalizeLine(raw: string): string {
  let line = raw
    .replace(/[\t\u00a0\u2000-\u200b\u3000]+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  line = line.replace(/(?: ?\.){4,}/g, ' … ').replace(/ {2,}/g, ' ');
  // Letter-spaced small capitals ("A B S T R A C T") are one word.
  line = line.replace(LETTER_SPACED_CAPITALS, (word) => word.replace(/ /g, ''));
  // The XeTeX/XeLaTeX logo's mirrored E.
  line = line.replace(/XƎ/g, 'Xe');
  return unspaceJustifiedCjk(line);
}

/**
 * Justified Chinese lines come out as "最 早 的 driver 是 dvips， 它 把"; when most neighbouring
 * Chinese characters in a line are spaced like that, the spaces are layout, not text.
 */
export function unspaceJustifiedCjk(line: string): string {
  const spaced = line.match(CJK_SPACED_PAIR)?.length ?? 0;
  if (spaced < 3) return line;
  const pairs = line.match(CJK_PAIR)?.length ?? 0;
  if (spaced * 2 < pairs) return line;
  return line.replace(CJK_SPACED_PAIR, '$1');
}

function edgeIndexes(count: number): number[] {
  const indexes = new Set<number>();
  for (let i = 0; i < Math.min(EDGE_LINES, count); i++) {
    indexes.add(i);
    indexes.add(count - 1 - i);
  }
  return [...indexes];
}

function edgeNumber(line: string): number | undefined {
  const match = EDGE_NUMBER.exec(line);
  if (!match) return undefined;
  return Number(match[1] ?? match[2]);
}

/** A lower-case Roman page number up to xlix, as front matter uses ("目 录 ix", "Preface iii"). */
const ROMAN_PAGE_NUMBER = /^(?:xl|l?x{0,3})(?:ix|iv|v?i{0,3})$/;

/**
 * A line with its page number (Arabic anywhere, Roman as its first or last word) written as "#", and a
 * leading page number moved to the end: books put it first on even pages ("vi 目 录") and last on odd
 * ones ("目 录 vii"), and both are the same running header.
 */
function shapeOf(line: string): string {
  const words = line.toLowerCase().split(/\s+/);
  const isPageNumber = (word: string): boolean => /^\d{1,4}$/.test(word) || ROMAN_PAGE_NUMBER.test(word);
  if (words.length > 1 && words[0] && isPageNumber(words[0])) words.push(words.shift() as string);
  const last = words.length - 1;
  if (words[last] && ROMAN_PAGE_NUMBER.test(words[last])) words[last] = '#';
  return words.join(' ').replace(/\d+/g, '#');
}

/**
 * Running headers and footers: lines at a page's top or bottom that are a bare page number, that
 * carry the page number at a fixed offset from the PDF page ("Chapter 2: Simple manipulations 8"),
 * or that repeat with only their digits changed on many pages.
 */
function removeRunningHeadersAndFooters(pages: PageText[], pageLines: string[][]): void {
  const offsetPages = new Map<number, number>();
  const shapePages = new Map<string, number>();
  pageLines.forEach((lines, p) => {
    const seenOffsets = new Set<number>();
    const seenShapes = new Set<string>();
    for (const i of edgeIndexes(lines.length)) {
      const n = edgeNumber(lines[i]);
      if (n !== undefined) seenOffsets.add(n - pages[p].num);
      seenShapes.add(shapeOf(lines[i]));
    }
    for (const offset of seenOffsets) offsetPages.set(offset, (offsetPages.get(offset) ?? 0) + 1);
    for (const shape of seenShapes) shapePages.set(shape, (shapePages.get(shape) ?? 0) + 1);
  });
  const pageCount = pages.length;
  const numberedOffsets = new Set(
    [...offsetPages].filter(([, n]) => n >= Math.min(3, pageCount)).map(([offset]) => offset),
  );
  const isRunning = (line: string, pageNum: number): boolean => {
    if (BARE_PAGE_NUMBER.test(line)) return true;
    const n = edgeNumber(line);
    if (n !== undefined && line.length <= 100 && numberedOffsets.has(n - pageNum) && pageCount > 1) return true;
    const repeats = shapePages.get(shapeOf(line)) ?? 0;
    // With a number in it (a page number), three pages make a pattern; plain text must repeat widely.
    return pageCount >= 3 && (shapeOf(line).includes('#') ? repeats >= 3 : repeats >= Math.max(3, pageCount * 0.2));
  };
  pageLines.forEach((lines, p) => {
    const drop = new Set(edgeIndexes(lines.length).filter((i) => isRunning(lines[i], pages[p].num)));
    if (drop.size) pageLines[p] = lines.filter((_, i) => !drop.has(i));
  });
}

/**
 * Blocks of lines that stand, the same, on most pages (a sidebar, a banner, a title block): lines found on at
 * least half of the pages (3 or more), wherever they are, when at least three of them follow each other.
 * Single repeated lines ("Usage", "Arguments") are left alone: they belong to the text.
 */
function removeRepeatedFurniture(pageLines: string[][]): void {
  const pageCount = pageLines.length;
  if (pageCount < 3) return;
  const pagesOf = new Map<string, number>();
  for (const lines of pageLines) for (const line of new Set(lines)) pagesOf.set(line, (pagesOf.get(line) ?? 0) + 1);
  const minPages = Math.max(3, Math.ceil(pageCount * FURNITURE_PAGE_SHARE));
  pageLines.forEach((lines, p) => {
    const common = lines.map((line) => (pagesOf.get(line) ?? 0) >= minPages);
    const drop = new Set<number>();
    for (let start = 0; start < lines.length;) {
      let end = start;
      while (end < lines.length && common[end]) end++;
      if (end - start >= FURNITURE_MIN_RUN) for (let i = start; i < end; i++) drop.add(i);
      start = Math.max(end, start + 1);
    }
    if (drop.size) pageLines[p] = lines.filter((_, i) => !drop.has(i));
  });
}

/**
 * Running headers that carry the current section's heading: a page's top line that is a heading found
 * again elsewhere in the document ("3 安装"), or two such headings side by side ("3.2 生成模板 3 安装",
 * section and chapter). A heading that stands once, even at a page's top, is the real one and stays.
 */
function removeHeadingHeaders(pageLines: string[][]): void {
  const places = new Map<string, number>();
  for (const lines of pageLines)
    for (const line of lines) if (headingLevel(line)) places.set(line, (places.get(line) ?? 0) + 1);
  const seenElsewhere = (text: string, here: number): boolean => (places.get(text) ?? 0) > here;
  const isHeadingHeader = (line: string): boolean => {
    if (!headingLevel(line)) return false;
    if (seenElsewhere(line, 1)) return true;
    // Two headings side by side: try each split point between words.
    const words = line.split(' ');
    for (let i = 1; i < words.length; i++) {
      const left = words.slice(0, i).join(' ');
      const right = words.slice(i).join(' ');
      if (headingLevel(left) && headingLevel(right) && seenElsewhere(left, 0) && seenElsewhere(right, 0)) return true;
    }
    return false;
  };
  pageLines.forEach((lines, p) => {
    const top = lines.findIndex((line) => !BARE_PAGE_NUMBER.test(line));
    if (top >= 0 && top < EDGE_LINES && isHeadingHeader(lines[top])) pageLines[p] = lines.filter((_, i) => i !== top);
  });
}

/** Display width: a CJK character is as wide as two Latin letters. */
function widthOf(line: string): number {
  let width = 0;
  for (const ch of line) width += CJK.test(ch) ? 2 : 1;
  return width;
}

/** The width of a full line of body text: a high percentile, so short lines and code do not drag it down. */
function typicalLineWidth(pageLines: string[][]): number {
  const widths: number[] = [];
  for (const lines of pageLines) for (const line of lines) widths.push(widthOf(line));
  if (!widths.length) return 80;
  widths.sort((a, b) => a - b);
  return Math.max(20, widths[Math.floor(widths.length * 0.9)]);
}

function reflowPage(lines: string[], page: number, fullLineWidth: number): TextBlock[] {
  const blocks: TextBlock[] = [];
  let paragraph = '';
  const flush = (): void => {
    const text = paragraph.trim();
    if (text) blocks.push({ kind: 'paragraph', text, page });
    paragraph = '';
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const level = headingLevel(line);
    if (level) {
      flush();
      blocks.push({ kind: 'heading', text: line, level, page });
      continue;
    }
    if (paragraph && LIST_ITEM.test(line)) flush();
    paragraph = paragraph ? joinLines(paragraph, line) : line;
    const next = lines[i + 1];
    const isShort = widthOf(line) < fullLineWidth * SHORT_LINE_RATIO;
    if (!next) continue;
    if (isShort && SENTENCE_END.test(line)) flush();
    else if (isShort && !HYPHENATED_END.test(line)) paragraph += '\n';
  }
  flush();
  return blocks;
}

/** Joins a wrapped line to the text before it: hyphenation undone, no space between CJK characters. */
function joinLines(before: string, line: string): string {
  if (before.endsWith('\n')) return before + line;
  if (HYPHENATED_END.test(before) && STARTS_LOWER.test(line)) {
    return HYPHEN_BELONGS_TO_WORD.test(before) ? before + line : before.slice(0, -1) + line;
  }
  if (URL_CUT_AT_LINE_END.test(before) && /^[\w/.%~-]/u.test(line)) return before + line;
  const last = before[before.length - 1];
  const first = line[0];
  if (CJK.test(last) || CJK.test(first)) return before + line;
  return `${before} ${line}`;
}
