import type { AskEvent } from './chat.types';
import { CITATION_MARK, citationNumbers } from './citations';

/**
 * Sentence events for speech: the answer cut into whole sentences while it streams, each exactly once, as
 * soon as it ends. A pure transform over the answer events; the chat service knows nothing of it.
 *
 * A sentence ends at Chinese 。！？； (with any closing quotes and citation marks after them), at `.!?` before
 * a space or a line end, at a blank line, and at the end of a list item, a heading or a fenced code block.
 * Never inside a number (3.14), after an abbreviation (e.g., Dr., etc. before a lower-case word), inside a
 * URL or inside code (fenced or inline). Citation marks stay with their sentence: their numbers go into
 * `citations` and the marks are taken out of `text`, which is for speaking. Pieces too short to speak on
 * their own ("是。", "Yes.") are joined to the next one.
 */
export interface SentenceEvent {
  type: 'sentence';
  /** 0, 1, 2… in the order of the answer. */
  index: number;
  /** The sentence without citation marks, trimmed. */
  text: string;
  /** The source numbers its citation marks name (only numbers that were given as sources, when known). */
  citations: number[];
}

/** Pieces lighter than this (a CJK character weighs 2, anything else 1) are joined to the next sentence. */
const MIN_SENTENCE_WEIGHT = 8;

const CJK_TERMINATORS = new Set(['。', '！', '？', '；']);
const LATIN_TERMINATORS = new Set(['.', '!', '?', '…']);
/** Closing quotes and brackets that belong to the sentence before them. */
const CLOSERS = new Set(['"', "'", '”', '’', '）', ')', '」', '』', '》', '〉']);
/** Punctuation after a closing quote that shows the sentence around the quote goes on. */
const CONTINUATIONS = new Set(['，', '、', '：', ',', ':']);
/** Words that end with a dot without ending the sentence (lower-cased, without their last dot). */
const ABBREVIATIONS = new Set([
  'e.g',
  'i.e',
  'cf',
  'vs',
  'viz',
  'dr',
  'mr',
  'mrs',
  'ms',
  'prof',
  'st',
  'jr',
  'sr',
  'al',
  'approx',
  'ca',
]);
/** …and these only before a number ("Fig. 3", "No. 5", "pp. 12"): "The answer is no. Then…" ends. */
const NUMBERED_ABBREVIATIONS = new Set(['no', 'nos', 'fig', 'figs', 'eq', 'vol', 'pp', 'ch', 'sec', 'art']);
/** `etc.` ends a sentence only when a capital letter (or CJK) follows. */
const ETC = 'etc';
/** Longest citation mark recognised while streaming ("[source 1, 2, 3]"). */
const MAX_MARK_CHARS = 40;

const CJK_CHAR = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/;
const CITATION_AT = new RegExp(CITATION_MARK.source, 'iy');
/** What an unfinished citation mark may look like so far. */
const CITATION_PREFIX = /^[[【][\s^\d,，、;；a-z来源资料]*$/i;
const WHITESPACE = /\s/;

type Decision = number | 'more';

/**
 * Where the first sentence of `text` ends (an index into it), 'more' when that depends on text not yet
 * arrived, or null when there is none in it (only when `final`: the rest is one last piece). Decisions
 * look only at the text itself, so any chunking of the same answer gives the same sentences.
 */
export function firstSentenceEnd(text: string, final: boolean): Decision | null {
  let inFence = false;
  let inInline = false;
  let lineStart = 0;
  let hasContent = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (i === lineStart) {
      const fence = fenceAt(text, i, final);
      if (fence === 'more') return 'more';
      if (fence) {
        const lineEnd = text.indexOf('\n', i);
        if (inFence) {
          // The closing fence ends the sentence that holds the code block.
          if (lineEnd < 0) return final ? text.length : 'more';
          return lineEnd;
        }
        inFence = true;
        hasContent = true;
        if (lineEnd < 0) return final ? null : 'more';
        lineStart = lineEnd + 1;
        i = lineEnd;
        continue;
      }
    }
    if (c === '\n') {
      inInline = false;
      if (!inFence && hasContent) {
        const line = text.slice(lineStart, i);
        if (!line.trim()) return lineStart; // a blank line ends the paragraph
        if (isBlockStart(line, true) === true) return i; // a list item or heading is a piece of its own
        const next = isBlockStart(text.slice(i + 1), final);
        if (next === 'more') return 'more';
        if (next) return i; // the next line starts a list item or heading
      }
      lineStart = i + 1;
      continue;
    }
    if (inFence) continue;
    if (!WHITESPACE.test(c)) hasContent = true;
    if (c === '`') {
      inInline = !inInline;
      continue;
    }
    if (inInline) continue;
    if (CJK_TERMINATORS.has(c)) {
      const end = clusterEnd(text, i + 1, final);
      if (end === 'more') return 'more';
      let k = end;
      while (k < text.length && (text[k] === ' ' || text[k] === '\t')) k++;
      if (k >= text.length) return final ? end : 'more';
      // “引文。”，他说…: the quoted sentence ended, the one around it goes on.
      if (CONTINUATIONS.has(text[k])) {
        i = end - 1;
        continue;
      }
      return end;
    }
    if (LATIN_TERMINATORS.has(c)) {
      const end = latinSentenceEnd(text, i, lineStart, final);
      if (end === 'more' || typeof end === 'number') return end;
      i = end.skipTo - 1;
    }
  }
  return final ? null : 'more';
}

/** After a terminator: more terminators, closing quotes and citation marks (spaces allowed before marks). */
function clusterEnd(text: string, from: number, final: boolean): Decision {
  const inCluster = (ch: string) => CJK_TERMINATORS.has(ch) || LATIN_TERMINATORS.has(ch) || CLOSERS.has(ch);
  let j = from;
  for (;;) {
    while (j < text.length && inCluster(text[j])) j++;
    let k = j;
    while (k < text.length && (text[k] === ' ' || text[k] === '\t')) k++;
    if (k >= text.length) return final ? j : 'more';
    if (text[k] !== '[' && text[k] !== '【') return j;
    CITATION_AT.lastIndex = k;
    const mark = CITATION_AT.exec(text);
    if (mark && mark[0].length <= MAX_MARK_CHARS) {
      j = k + mark[0].length;
      continue;
    }
    const rest = text.slice(k);
    if (!final && rest.length <= MAX_MARK_CHARS && CITATION_PREFIX.test(rest)) return 'more';
    return j;
  }
}

/** `.!?…` at `i`: the sentence's end, 'more', or where to go on scanning when it is no end. */
function latinSentenceEnd(text: string, i: number, lineStart: number, final: boolean): Decision | { skipTo: number } {
  let runEnd = i;
  while (runEnd < text.length && LATIN_TERMINATORS.has(text[runEnd])) runEnd++;
  const end = clusterEnd(text, runEnd, final);
  if (end === 'more') return 'more';
  if (end >= text.length) return final ? end : 'more';
  if (!WHITESPACE.test(text[end])) return { skipTo: Math.max(runEnd, i + 1) }; // 3.14, e.g, a URL, a.b
  let next = end;
  let lineBreak = false;
  while (next < text.length && WHITESPACE.test(text[next])) {
    if (text[next] === '\n') lineBreak = true;
    next++;
  }
  if (lineBreak) return end;
  if (next >= text.length) return final ? end : 'more';
  const following = text[next];
  const singleDot = runEnd === i + 1 && text[i] === '.';
  if (singleDot) {
    if (/^\s*\d{1,3}$/.test(text.slice(lineStart, i))) return { skipTo: end }; // "1. " starts a list item
    const word = /([A-Za-z][A-Za-z.]*)$/.exec(text.slice(Math.max(0, i - 12), i))?.[1].toLowerCase() ?? '';
    if (word === ETC) return /[A-Z]/.test(following) || CJK_CHAR.test(following) ? end : { skipTo: end };
    if (ABBREVIATIONS.has(word) || /^[a-z]$/.test(word)) return { skipTo: end }; // "Dr. Li", "J. Smith"
    if (NUMBERED_ABBREVIATIONS.has(word) && /\d/.test(following)) return { skipTo: end };
  }
  if (/[a-z]/.test(following)) return { skipTo: end }; // a sentence does not go on in lower case
  return end;
}

/** A fence (```) at the start of this line? 'more' when the line is too short to tell. */
function fenceAt(text: string, i: number, final: boolean): boolean | 'more' {
  let k = i;
  while (k < text.length && k - i < 3 && text[k] === ' ') k++;
  const head = text.slice(k, k + 3);
  if (head === '```') return true;
  if (!final && k + 3 > text.length && '```'.startsWith(head)) return 'more';
  return false;
}

/** Does a line start a list item or a heading? 'more' when it is too short to tell (and not final). */
function isBlockStart(line: string, final: boolean): boolean | 'more' {
  if (/^ {0,3}(?:[-*+]|\d{1,3}[.)]|#{1,6})[ \t]/.test(line)) return true;
  if (!final && /^ {0,3}(?:[-*+]|\d{1,3}[.)]?|#{1,6})?$/.test(line)) return 'more';
  return false;
}

/** The text to speak (marks taken out, outside code only) and the source numbers the marks name. */
export function speakable(raw: string, validSources?: ReadonlySet<number>): { text: string; citations: number[] } {
  const citations: number[] = [];
  const parts = raw.split(/(```[\s\S]*?(?:```|$)|`[^`\n]*`)/);
  const text = parts
    .map((part, k) => {
      if (k % 2 === 1) return part; // code
      return part.replace(new RegExp(`\\s*(?:${CITATION_MARK.source})`, 'gi'), (_mark, list: string) => {
        for (const n of citationNumbers(list)) {
          if ((!validSources || validSources.has(n)) && !citations.includes(n)) citations.push(n);
        }
        return '';
      });
    })
    .join('')
    .trim();
  return { text, citations };
}

function weight(text: string): number {
  let total = 0;
  for (const ch of text) if (!WHITESPACE.test(ch)) total += CJK_CHAR.test(ch) ? 2 : 1;
  return total;
}

/** Cuts text that arrives in pieces into sentences (see SentenceEvent). */
export class SentenceSplitter {
  private pending = '';
  private carried = '';

  constructor(private readonly validSources?: ReadonlySet<number>) {}

  /** Adds streamed text; returns the sentences it completed. */
  push(text: string): { text: string; citations: number[] }[] {
    this.pending += text;
    return this.take(false);
  }

  /** The end of the answer: every sentence left, the last one however short. */
  flush(): { text: string; citations: number[] }[] {
    const sentences = this.take(true);
    const rest = speakable(this.carried + this.pending, this.validSources);
    this.carried = this.pending = '';
    if (rest.text) sentences.push(rest);
    return sentences;
  }

  private take(final: boolean): { text: string; citations: number[] }[] {
    const sentences: { text: string; citations: number[] }[] = [];
    for (;;) {
      const end = firstSentenceEnd(this.pending, final);
      if (end === null || end === 'more' || end <= 0) return sentences;
      const raw = this.carried + this.pending.slice(0, end);
      this.pending = this.pending.slice(end);
      const sentence = speakable(raw, this.validSources);
      if (weight(sentence.text) < MIN_SENTENCE_WEIGHT) {
        this.carried = raw;
        continue;
      }
      this.carried = '';
      sentences.push(sentence);
    }
  }
}

/**
 * The answer events with `sentence` events added: each after the delta that completed it, the last ones
 * just before `done`. Sources named by `sources` are the only valid citation numbers.
 */
export async function* withSentenceEvents(events: AsyncIterable<AskEvent>): AsyncGenerator<AskEvent | SentenceEvent> {
  let splitter = new SentenceSplitter();
  let index = 0;
  const toEvents = (sentences: { text: string; citations: number[] }[]): SentenceEvent[] =>
    sentences.map((s) => ({ type: 'sentence', index: index++, text: s.text, citations: s.citations }));
  for await (const event of events) {
    if (event.type === 'sources') splitter = new SentenceSplitter(new Set(event.citations.map((c) => c.index)));
    if (event.type === 'done') yield* toEvents(splitter.flush());
    yield event;
    if (event.type === 'delta') yield* toEvents(splitter.push(event.content));
  }
}
