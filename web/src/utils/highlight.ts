/**
 * Which parts of a passage to highlight for a query.
 * English: the query's words (case-insensitive, 2+ letters, common stop-words left out).
 * Chinese: the query's words as the browser segments them (Intl.Segmenter, dictionary-based in Chromium),
 * plus every 2-character piece of the query found in the text, and single characters only when the query
 * run is itself one character, so that 的/是 don't light up everywhere.
 */
const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
const CJK_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
// Words may hold inner dots, dashes and apostrophes: read.table, e-mail, don't.
const WORD = /[\p{L}\p{N}](?:[\p{L}\p{N}_'’-]|\.(?=[\p{L}\p{N}]))*/gu;
const STOP_EN = new Set(
  'a an and are as at be by for from how in is it of on or that the this to was what when where which who why with do does did can i you'.split(
    ' ',
  ),
);
const STOP_ZH = new Set('的了是在和与及或也都就而吗呢吧啊么什怎为有个这那我你他她它们'.split(''));

type Segmenter = { segment(s: string): Iterable<{ segment: string; isWordLike?: boolean }> };

function zhWords(run: string): string[] {
  const Seg = (Intl as unknown as { Segmenter?: new (l: string, o: object) => Segmenter }).Segmenter;
  if (!Seg) return [];
  const out: string[] = [];
  for (const s of new Seg('zh', { granularity: 'word' }).segment(run)) {
    if (s.isWordLike !== false && s.segment.length >= 2) out.push(s.segment);
  }
  return out;
}

export function queryTerms(query: string): string[] {
  const terms = new Set<string>();
  const latin = query.replace(CJK_RUN, ' ');
  for (const m of latin.matchAll(WORD)) {
    const w = m[0].toLowerCase();
    for (const part of w.includes('.') ? [w, ...w.split('.')] : [w]) {
      if (part.length >= 2 && !STOP_EN.has(part)) terms.add(part);
    }
  }
  for (const m of query.matchAll(CJK_RUN)) {
    const run = m[0];
    for (const w of zhWords(run)) terms.add(w);
    if (run.length === 1) {
      if (!STOP_ZH.has(run)) terms.add(run);
      continue;
    }
    for (let i = 0; i + 2 <= run.length; i++) {
      const bi = run.slice(i, i + 2);
      if (!(STOP_ZH.has(bi[0]) && STOP_ZH.has(bi[1]))) terms.add(bi);
    }
  }
  return [...terms];
}

export interface Piece {
  text: string;
  hit: boolean;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits text into highlighted and plain pieces (longest terms first; overlapping bigrams merge). */
export function highlight(text: string, terms: string[]): Piece[] {
  if (!text || !terms.length) return [{ text, hit: false }];
  const sorted = [...terms].sort((a, b) => b.length - a.length);
  const re = new RegExp(
    sorted.map((term) => (CJK.test(term) ? escape(term) : `(?<![\\p{L}\\p{N}])${escape(term)}`)).join('|'),
    'giu',
  );
  // Mark every character covered by some match (so 知识 + 识库 → 知识库 as one mark).
  const hit = new Uint8Array(text.length);
  for (let i = 0; i < text.length;) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) break;
    if (m[0].length === 0) {
      i = m.index + 1;
      continue;
    }
    hit.fill(1, m.index, m.index + m[0].length);
    // Step one character, not past the match, so overlapping CJK bigrams are found too.
    i = CJK.test(m[0]) ? m.index + 1 : m.index + m[0].length;
  }
  const pieces: Piece[] = [];
  let start = 0;
  for (let i = 1; i <= text.length; i++) {
    if (i === text.length || hit[i] !== hit[start]) {
      pieces.push({ text: text.slice(start, i), hit: hit[start] === 1 });
      start = i;
    }
  }
  return pieces;
}
