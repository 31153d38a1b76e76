import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';

/**
 * The text-search configuration used for both chunks and queries. The segmented text below is fed to
 * PostgreSQL's `english` configuration: it stems and drops stop-words for English, and keeps each
 * space-separated Chinese word from jieba as one lexeme (PostgreSQL's own parser cannot split Chinese).
 */
export const KEYWORD_TS_CONFIG = 'english';

// Function words that match nearly every Chinese passage and only add noise to ranking.
const CHINESE_STOP_WORDS = new Set(
  '的 了 是 在 和 与 及 或 而 也 就 都 把 被 对 从 向 为 以 之 其 这 那 这个 那个 一个 我们 你们 他们 它们 我 你 他 她 它 吗 呢 吧 啊 呀 着 过 得 地 么 什么 怎么 如何 哪些 哪个 可以 能 会 要 有 没有 不 中 上 下 里 请 问 等 该 此 所 则 将 并 即 且 但 如果 因为 所以 时 后 前'.split(
    ' ',
  ),
);
const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const HAN = /\p{Script=Han}/u;
/** A run of Chinese characters, or a word of other letters and digits (punctuation and spaces fall out). */
const HAN_RUN_OR_WORD = /\p{Script=Han}+|[\p{L}\p{N}\p{M}]+/gu;

let jieba: Jieba | undefined;
function segmenter(): Jieba {
  // Loading the dictionary takes ~0.3 s, so do it once, on first use.
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

/**
 * Splits text into keyword terms the same way for indexing and for querying: jieba's search mode
 * (which also yields sub-words, e.g. 知识 inside 知识库), lower-cased, without punctuation and
 * Chinese function words. Returns them joined by spaces, ready for `to_tsvector(KEYWORD_TS_CONFIG, …)`.
 */
export function segmentForKeywords(text: string): string {
  return keywordTerms(text).join(' ');
}

export function keywordTerms(text: string): string[] {
  if (!text) return [];
  const terms: string[] = [];
  // Only runs of Chinese characters need jieba; everything else splits into letter/digit words directly,
  // as jieba would split it, at a small fraction of the cost (English manuals are mostly not Chinese).
  for (const [run] of text.matchAll(HAN_RUN_OR_WORD)) {
    if (!HAN.test(run)) {
      terms.push(run.toLowerCase());
      continue;
    }
    for (const raw of segmenter().cutForSearch(run, true)) {
      const token = raw.trim().toLowerCase();
      if (!token || !HAS_LETTER_OR_DIGIT.test(token) || CHINESE_STOP_WORDS.has(token)) continue;
      // Keep tsquery/tsvector syntax characters out of lexemes; they never carry meaning here.
      const clean = token.replace(/[&|!():*'"\\<>]/g, ' ').trim();
      if (clean) terms.push(...clean.split(/\s+/));
    }
  }
  return terms;
}
